import type { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { type OwnedBy, ownedBy, resourceNotFound, type ServicePolicy } from '@flywheel/rpc';
import type { Collection } from '@flywheel/store';
import type { PipelineCollections } from '../pipelines/pipeline-records.ts';

export interface SchedulerPolicyDeps {
  pipelines: PipelineCollections;
  schedules: Collection<{ team: string }>;
  triggerRules: Collection<{ team: string }>;
}

/** The owner of the document `name` of `collection` (one id read); NOT_FOUND when missing. */
function ownerIn(collection: () => Collection<{ team: string }>, kind: string) {
  return async (name: string, signal: AbortSignal): Promise<OwnedBy> => {
    const resource = `${kind} "${name}"`;
    const found = await collection().get(name, { signal });
    if (!found) throw resourceNotFound(resource);
    return ownedBy(resource, found.data.team);
  };
}

/**
 * Who may call each SchedulerService method when auth is on. Pipelines, schedules and trigger
 * rules belong to their stored team; run requests to their pipeline's. Reads need viewer; creating,
 * changing, pausing and triggering need editor (a schedule or rule runs its pipeline: editor on the
 * pipeline's team too); deleting needs admin. Lists name a team or a pipeline, or list every team
 * the caller may view.
 */
export function schedulerPolicy(deps: SchedulerPolicyDeps): ServicePolicy<typeof SchedulerService.method> {
  const pipeline = ownerIn(() => deps.pipelines.heads, 'pipeline');
  const schedule = ownerIn(() => deps.schedules, 'schedule');
  const rule = ownerIn(() => deps.triggerRules, 'trigger rule');
  /** A child's owners: its pipeline's team, and its own when it names one (empty: the pipeline's). */
  const child = async (team: string, pipelineName: string, signal: AbortSignal) => [
    await pipeline(pipelineName, signal),
    ...(team ? [team] : []),
  ];
  return {
    createPipeline: { action: 'edit', team: (req) => req.pipeline?.team ?? '' },
    getPipeline: { action: 'view', team: (req, signal) => pipeline(req.pipelineName, signal) },
    listPipelines: { action: 'view', list: true, team: (req) => req.team },
    updatePipeline: { action: 'edit', team: (req, signal) => pipeline(req.pipelineName, signal) },
    // Deleting a pipeline deletes its schedules and rules too.
    deletePipeline: { action: 'admin', team: (req, signal) => pipeline(req.pipelineName, signal) },
    createSchedule: {
      action: 'edit',
      team: (req, signal) => child(req.schedule?.team ?? '', req.schedule?.pipelineName ?? '', signal),
    },
    getSchedule: { action: 'view', team: (req, signal) => schedule(req.scheduleName, signal) },
    listSchedules: {
      action: 'view',
      list: true,
      team: (req, signal) => (req.pipelineName ? pipeline(req.pipelineName, signal) : ''),
    },
    deleteSchedule: { action: 'admin', team: (req, signal) => schedule(req.scheduleName, signal) },
    pauseSchedule: { action: 'edit', team: (req, signal) => schedule(req.scheduleName, signal) },
    resumeSchedule: { action: 'edit', team: (req, signal) => schedule(req.scheduleName, signal) },
    createTriggerRule: {
      action: 'edit',
      team: (req, signal) => child(req.triggerRule?.team ?? '', req.triggerRule?.pipelineName ?? '', signal),
    },
    getTriggerRule: { action: 'view', team: (req, signal) => rule(req.triggerRuleName, signal) },
    listTriggerRules: {
      action: 'view',
      list: true,
      team: (req, signal) => (req.pipelineName ? pipeline(req.pipelineName, signal) : ''),
    },
    deleteTriggerRule: { action: 'admin', team: (req, signal) => rule(req.triggerRuleName, signal) },
    // A run is owned by its pipeline's team.
    triggerRun: { action: 'edit', team: (req, signal) => pipeline(req.pipelineName, signal) },
    // Every filter that names a resource is checked: the list is then within the caller's teams.
    listRunRequests: {
      action: 'view',
      list: true,
      team: async (req, signal) => {
        const named = await Promise.all([
          ...(req.pipelineName ? [pipeline(req.pipelineName, signal)] : []),
          ...(req.scheduleName ? [schedule(req.scheduleName, signal)] : []),
          ...(req.triggerRuleName ? [rule(req.triggerRuleName, signal)] : []),
        ]);
        return named.length ? named : '';
      },
    },
  };
}
