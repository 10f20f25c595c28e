import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { type ImplOf, listedTeams } from '@flywheel/rpc';
import type { createPipelineUseCase } from '../pipelines/create-pipeline.ts';
import type { deletePipelineUseCase } from '../pipelines/delete-pipeline.ts';
import type { pipelineQueries } from '../pipelines/pipeline-queries.ts';
import { toPipelineMessage } from '../pipelines/pipeline-records.ts';
import type { updatePipelineUseCase } from '../pipelines/update-pipeline.ts';
import type { CallerOf } from '../records/principals.ts';
import type { listRunRequestsUseCase } from '../runs/list-run-requests.ts';
import { toRunRequestMessage } from '../runs/run-request-records.ts';
import type { triggerRunUseCase } from '../runs/trigger-run.ts';
import type { createScheduleUseCase } from '../schedules/create-schedule.ts';
import type { deleteScheduleUseCase } from '../schedules/delete-schedule.ts';
import type { pauseScheduleUseCase } from '../schedules/pause-schedule.ts';
import type { resumeScheduleUseCase } from '../schedules/resume-schedule.ts';
import type { scheduleQueries } from '../schedules/schedule-queries.ts';
import { toScheduleMessage } from '../schedules/schedule-records.ts';
import type { createTriggerRuleUseCase } from '../triggers/create-trigger-rule.ts';
import type { deleteTriggerRuleUseCase } from '../triggers/delete-trigger-rule.ts';
import type { triggerRuleQueries } from '../triggers/trigger-rule-queries.ts';
import { toTriggerRuleMessage } from '../triggers/trigger-rule-records.ts';

/** The use cases the API maps to. */
export interface SchedulerUseCases {
  createPipeline: ReturnType<typeof createPipelineUseCase>;
  updatePipeline: ReturnType<typeof updatePipelineUseCase>;
  deletePipeline: ReturnType<typeof deletePipelineUseCase>;
  pipelines: ReturnType<typeof pipelineQueries>;
  createSchedule: ReturnType<typeof createScheduleUseCase>;
  pauseSchedule: ReturnType<typeof pauseScheduleUseCase>;
  resumeSchedule: ReturnType<typeof resumeScheduleUseCase>;
  deleteSchedule: ReturnType<typeof deleteScheduleUseCase>;
  schedules: ReturnType<typeof scheduleQueries>;
  createTriggerRule: ReturnType<typeof createTriggerRuleUseCase>;
  deleteTriggerRule: ReturnType<typeof deleteTriggerRuleUseCase>;
  triggerRules: ReturnType<typeof triggerRuleQueries>;
  triggerRun: ReturnType<typeof triggerRunUseCase>;
  listRunRequests: ReturnType<typeof listRunRequestsUseCase>;
}

/** SchedulerService over gRPC: requests to use cases, records to messages (int64 ↔ number here). */
export function createSchedulerApi(
  useCases: SchedulerUseCases,
  callerOf: CallerOf,
): ImplOf<typeof SchedulerService> {
  return {
    async createPipeline(request, ctx) {
      const pipeline = request.pipeline;
      if (!pipeline) throw AppError.invalidArgument('pipeline', 'is required');
      const record = await useCases.createPipeline(pipeline, callerOf(ctx), { signal: ctx.signal });
      return { pipeline: toPipelineMessage(record) };
    },
    async getPipeline(request, ctx) {
      const record = await useCases.pipelines.get(
        request.pipelineName,
        toNumber(request.revision, 'revision'),
        {
          signal: ctx.signal,
        },
      );
      return { pipeline: toPipelineMessage(record) };
    },
    async listPipelines(request, ctx) {
      const { page, nextPageToken } = await useCases.pipelines.list(
        {
          team: listedTeams(ctx.principal, request.team),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        { signal: ctx.signal },
      );
      return { pipelines: page.map(toPipelineMessage), nextPageToken };
    },
    async updatePipeline(request, ctx) {
      if (!request.spec) throw AppError.invalidArgument('spec', 'is required');
      const record = await useCases.updatePipeline(
        {
          name: request.pipelineName,
          spec: request.spec,
          expectedRevision: toNumber(request.expectedRevision, 'expected_revision'),
          ...(request.description !== undefined ? { description: request.description } : {}),
        },
        callerOf(ctx),
        { signal: ctx.signal },
      );
      return { pipeline: toPipelineMessage(record) };
    },
    async deletePipeline(request, ctx) {
      await useCases.deletePipeline(request.pipelineName, { signal: ctx.signal });
      return {};
    },

    async createSchedule(request, ctx) {
      if (!request.schedule) throw AppError.invalidArgument('schedule', 'is required');
      const record = await useCases.createSchedule(request.schedule, callerOf(ctx), { signal: ctx.signal });
      return { schedule: toScheduleMessage(record) };
    },
    async getSchedule(request, ctx) {
      return {
        schedule: toScheduleMessage(
          await useCases.schedules.get(request.scheduleName, { signal: ctx.signal }),
        ),
      };
    },
    async listSchedules(request, ctx) {
      const { page, nextPageToken } = await useCases.schedules.list(
        {
          pipelineName: request.pipelineName,
          team: listedTeams(ctx.principal, ''),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        { signal: ctx.signal },
      );
      return { schedules: page.map(toScheduleMessage), nextPageToken };
    },
    async deleteSchedule(request, ctx) {
      await useCases.deleteSchedule(request.scheduleName, { signal: ctx.signal });
      return {};
    },
    async pauseSchedule(request, ctx) {
      const record = await useCases.pauseSchedule(request.scheduleName, request.reason, callerOf(ctx), {
        signal: ctx.signal,
      });
      return { schedule: toScheduleMessage(record) };
    },
    async resumeSchedule(request, ctx) {
      const record = await useCases.resumeSchedule(request.scheduleName, callerOf(ctx), {
        signal: ctx.signal,
      });
      return { schedule: toScheduleMessage(record) };
    },

    async createTriggerRule(request, ctx) {
      if (!request.triggerRule) throw AppError.invalidArgument('trigger_rule', 'is required');
      const record = await useCases.createTriggerRule(request.triggerRule, callerOf(ctx), {
        signal: ctx.signal,
      });
      return { triggerRule: toTriggerRuleMessage(record) };
    },
    async getTriggerRule(request, ctx) {
      const record = await useCases.triggerRules.get(request.triggerRuleName, { signal: ctx.signal });
      return { triggerRule: toTriggerRuleMessage(record) };
    },
    async listTriggerRules(request, ctx) {
      const { page, nextPageToken } = await useCases.triggerRules.list(
        {
          pipelineName: request.pipelineName,
          eventType: request.eventType,
          team: listedTeams(ctx.principal, ''),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        { signal: ctx.signal },
      );
      return { triggerRules: page.map(toTriggerRuleMessage), nextPageToken };
    },
    async deleteTriggerRule(request, ctx) {
      await useCases.deleteTriggerRule(request.triggerRuleName, { signal: ctx.signal });
      return {};
    },

    async triggerRun(request, ctx) {
      const record = await useCases.triggerRun(
        {
          pipelineName: request.pipelineName,
          pipelineRevision: toNumber(request.pipelineRevision, 'pipeline_revision'),
          parameters: request.parameters ?? {},
          requestId: request.requestId,
        },
        callerOf(ctx),
        { signal: ctx.signal },
      );
      return { runRequest: toRunRequestMessage(record), runId: record.runId };
    },
    async listRunRequests(request, ctx) {
      const { page, nextPageToken } = await useCases.listRunRequests(
        {
          pipelineName: request.pipelineName,
          source: request.source,
          status: request.status,
          scheduleName: request.scheduleName,
          triggerRuleName: request.triggerRuleName,
          team: listedTeams(ctx.principal, ''),
          startTime: request.startTime ? timestampMs(request.startTime) : 0,
          endTime: request.endTime ? timestampMs(request.endTime) : 0,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        },
        { signal: ctx.signal },
      );
      return { runRequests: page.map(toRunRequestMessage), nextPageToken };
    },
  };
}

/** An int64 from the wire as a number; revisions beyond 2^53 are not a thing, but say so if asked. */
function toNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw AppError.invalidArgument(field, `must be at most ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}
