import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import type { Run } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type { AliasChange, ModelVersion } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { msOf } from '../view/format.ts';

/** One trigger-started run on the lead-time page, with the times its lead time is read from. */
export interface LeadTimeRow {
  run: Run;
  /** The version the run registered; absent when its gates kept it out. */
  version?: ModelVersion;
  /** The version's first alias change to it. */
  promoted?: { atMs: number; alias: string };
  /**
   * Where the lead time starts: the trigger event's CloudEvent time (e.g. when monitoring
   * detected the drift), as `flywheel_loop_lead_time_seconds` does; the run's creation only when
   * neither the run nor the version names the event's time (runs from before it was carried).
   */
  start?: { atMs: number; from: 'event' | 'run' };
  /** start → the run's end. */
  toRunEndMs?: number;
  /** start → the alias change: the loop's lead time as far as the registry knows it. */
  leadMs?: number;
}

/**
 * The lead time of every run a trigger rule started, from the orchestrator's runs and the
 * registry's versions (joined by their lineage's run id) and alias history.
 */
export function leadTimeRows(
  runs: readonly Run[],
  versions: readonly ModelVersion[],
  aliasChanges: readonly AliasChange[],
): LeadTimeRow[] {
  const versionByRun = new Map<string, ModelVersion>();
  for (const version of versions) {
    const runId = version.lineage?.pipelineRunId;
    if (runId) versionByRun.set(runId, version);
  }
  return runs
    .filter((run) => run.trigger?.source === RunSource.TRIGGER)
    .map((run) => {
      const version = versionByRun.get(run.id);
      const promoted = version && firstChangeTo(version, aliasChanges);
      const start = startOf(run, version);
      const end = msOf(run.endTime);
      return {
        run,
        ...(version ? { version } : {}),
        ...(promoted ? { promoted } : {}),
        ...(start ? { start } : {}),
        ...(start && end !== undefined ? { toRunEndMs: end - start.atMs } : {}),
        ...(start && promoted ? { leadMs: promoted.atMs - start.atMs } : {}),
      };
    });
}

function startOf(run: Run, version: ModelVersion | undefined): LeadTimeRow['start'] {
  const eventMs = msOf(run.trigger?.event?.time) ?? msOf(version?.lineage?.triggerEvent?.time);
  if (eventMs !== undefined) return { atMs: eventMs, from: 'event' };
  const createdMs = msOf(run.createTime);
  return createdMs === undefined ? undefined : { atMs: createdMs, from: 'run' };
}

/** The earliest alias change that pointed an alias of the version's model at it. */
function firstChangeTo(
  version: ModelVersion,
  changes: readonly AliasChange[],
): { atMs: number; alias: string } | undefined {
  let first: { atMs: number; alias: string } | undefined;
  for (const change of changes) {
    if (change.modelName !== version.modelName || change.modelVersion !== version.version) continue;
    const atMs = msOf(change.changeTime);
    if (atMs !== undefined && (first === undefined || atMs < first.atMs))
      first = { atMs, alias: change.alias };
  }
  return first;
}
