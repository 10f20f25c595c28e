import type { JsonObject } from '@bufbuild/protobuf';
import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { checkForEachItemsKnownNow, resolveRunParameters } from '@flywheel/pipelines';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import type { SubmitRunRequest } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { currentAuditPrincipal, resourceNotFound } from '@flywheel/rpc';
import type { Doc } from '@flywheel/store';
import type { AdmissionConfig } from '../admission/queue-config.ts';
import { admissionFor } from '../admission/run-demand.ts';
import type { BuiltinSteps } from '../builtin-steps/step-types.ts';
import type { ExecutorSet } from '../executors/executor-set.ts';
import { localPrincipal, newRunRecord, queuedRun } from '../runs/new-run.ts';
import type { RunEngine } from '../runs/run-engine.ts';
import { newRunId, runIdFor } from '../runs/run-ids.ts';
import type { RunRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';
import { checkedTags } from './run-tags.ts';
import { checkRunnableSpec } from './runnable-spec.ts';
import type { StoredPipelines } from './stored-pipelines.ts';

export interface SubmitRunDeps {
  runs: RunStore;
  engine: RunEngine;
  builtins: BuiltinSteps;
  executors: ExecutorSet;
  pipelines: StoredPipelines;
  /** Team of the local principal: owns inline runs submitted without one. */
  localTeam: string;
  /** Queues and quotas: a run names its queue, and must fit its team's quota. */
  queues: AdmissionConfig;
}

export interface SubmittedRun {
  run: Doc<RunRecord>;
  /** False when `request_id` matched an earlier submission and that run was returned. */
  created: boolean;
}

/**
 * SubmitRun: validates the definition (inline, or the scheduler's stored one) and the parameters,
 * creates the run and starts it. Idempotent by `request_id`: the run id is derived from it, so a
 * retry finds the first call's run. Throws `invalid_argument` naming the field, or the scheduler's
 * `not_found` for an unknown stored pipeline (also for one of another team than `team`).
 */
export function createSubmitRun(deps: SubmitRunDeps) {
  return async (request: SubmitRunRequest, options: CallOptions = {}): Promise<SubmittedRun> => {
    const runId = request.requestId ? runIdFor('submit', request.requestId) : newRunId();
    if (request.requestId) {
      const earlier = await deps.runs.get(runId, options);
      if (earlier) return { run: earlier, created: false };
    }
    const definition = await definitionOf(request, deps, options);
    checkRunnableSpec(definition.spec, definition.field, deps);
    const parameters: JsonObject = resolveRunParameters(definition.spec, request.parameters, 'parameters');
    checkForEachItemsKnownNow(definition.spec, parameters, definition.field);
    const team = request.team || definition.team || deps.localTeam;
    const admission = admissionFor(deps.queues, request.queue, team, definition.spec, definition.field);
    const caller = currentAuditPrincipal();
    const record = newRunRecord({
      id: runId,
      pipelineName: definition.name,
      pipelineRevision: definition.revision,
      spec: definition.spec,
      parameters,
      team,
      trigger: { source: RunSource.MANUAL },
      // The verified caller (the kernel's acting scope is ctx.principal); the local principal only
      // when called outside any call (tests driving the use case directly).
      principal: caller.subject ? caller : localPrincipal(team),
      requestId: request.requestId,
      labels: request.labels,
      experiment: request.experiment,
      tags: checkedTags(request.tags),
      admission,
    });
    try {
      record.owner = deps.engine.newOwner();
      const run = await deps.runs.create(queuedRun(record), options);
      deps.engine.start(runId);
      return { run, created: true };
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
      const earlier = await deps.runs.get(runId, options);
      if (!earlier) throw error;
      return { run: earlier, created: false };
    }
  };
}

interface Definition {
  name: string;
  revision: number;
  team: string;
  spec: PipelineSpec;
  /** Where the spec sits in the request, for error messages. */
  field: string;
}

async function definitionOf(
  request: SubmitRunRequest,
  deps: SubmitRunDeps,
  options: CallOptions,
): Promise<Definition> {
  switch (request.pipeline.case) {
    case 'inlinePipeline': {
      const inline = request.pipeline.value;
      if (!inline.spec) throw AppError.invalidArgument('inline_pipeline.spec', 'is required');
      return { name: inline.name, revision: 0, team: '', spec: inline.spec, field: 'inline_pipeline.spec' };
    }
    case 'pipelineRef': {
      const ref = request.pipeline.value;
      const stored = await deps.pipelines.get(ref.pipelineName, Number(ref.revision), options);
      // The policy checked the caller against `team`; the scheduler answered this service, which
      // sees every team's pipelines. Another team's pipeline is missing, in a missing one's words.
      if (request.team !== '' && stored.team !== request.team) {
        throw resourceNotFound(`pipeline "${ref.pipelineName}"`);
      }
      return { ...stored, field: `pipeline_ref(${stored.name}@${stored.revision}).spec` };
    }
    default:
      throw AppError.invalidArgument('pipeline', 'set pipeline_ref or inline_pipeline');
  }
}
