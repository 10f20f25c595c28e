import type { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { type OwnedBy, ownedBy, resourceNotFound, type ServicePolicy } from '@flywheel/rpc';
import type { RunStore } from '../runs/run-store.ts';
import { checkedRunIds } from './compare-runs.ts';

/**
 * Who may call each OrchestratorService method when auth is on. A run belongs to its stored team
 * (set at submit: the request's, else its pipeline's); its steps and logs are the run's. Reading
 * and following need viewer; submitting, cancelling and retrying need editor. SubmitRun must name
 * its team (empty: platform admins only), as the stored pipeline's team is the scheduler's to know.
 */
export function orchestratorPolicy(deps: {
  runs: RunStore;
}): ServicePolicy<typeof OrchestratorService.method> {
  const run = async (req: { runId: string }, signal: AbortSignal): Promise<OwnedBy> => {
    const resource = `run "${req.runId}"`;
    const found = await deps.runs.get(req.runId, { signal });
    if (!found) throw resourceNotFound(resource);
    return ownedBy(resource, found.data.team);
  };
  return {
    submitRun: { action: 'edit', team: (req) => req.team },
    getRun: { action: 'view', team: run },
    listRuns: { action: 'view', list: true, team: (req) => req.team },
    cancelRun: { action: 'edit', team: run },
    retryRun: { action: 'edit', team: run },
    streamJobLogs: { action: 'view', team: run },
    watchRun: { action: 'view', team: run },
    getMetricHistory: { action: 'view', team: run },
    // Viewer of every compared run's team (an unknown id, or one of the caller's unseen teams, is not_found).
    compareRuns: {
      action: 'view',
      team: (req, signal) => Promise.all(checkedRunIds(req.runIds).map((runId) => run({ runId }, signal))),
    },
  };
}
