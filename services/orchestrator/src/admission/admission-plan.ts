import { add, dimensions, overLimit, type Quantities, zero } from './quantities.ts';
import type { AdmissionConfig } from './queue-config.ts';
import { quotaOf } from './run-demand.ts';

/** A run holding its reservation (admitted, not final). */
export interface Reserved {
  id: string;
  team: string;
  demand: Quantities;
}

/** A run waiting in its queue. */
export interface Waiting extends Reserved {
  queue: string;
  priority: number;
  /** Epoch ms. */
  queuedSince: number;
}

/** The decision for one waiting run. */
export interface Decision {
  id: string;
  admit: boolean;
  /** 1-based place among the runs left waiting, in admission order; 0 when admitted. */
  position: number;
  /** Why it still waits; empty when admitted. */
  reason: string;
}

/**
 * Decides which waiting runs to admit now. Order: higher queue priority first; at equal priority
 * the team with the smallest dominant share (its largest fraction of the shared capacity in use
 * over cpu, memory, gpu and jobs — of its own quota where no capacity is set: dominant-resource
 * fairness), recomputed after each admission; then the longest waiting. A run that does not fit
 * its team's quota waits without holding others up; one that does not fit the shared capacity
 * waits and stops everything after it (no backfilling, so a large run is not starved by smaller
 * later ones).
 */
export function planAdmissions(
  config: AdmissionConfig,
  reserved: readonly Reserved[],
  waiting: readonly Waiting[],
): Decision[] {
  const total = zero();
  const byTeam = new Map<string, Quantities>();
  const usedBy = (team: string): Quantities => {
    let used = byTeam.get(team);
    if (!used) {
      used = zero();
      byTeam.set(team, used);
    }
    return used;
  };
  for (const run of reserved) {
    add(total, run.demand);
    add(usedBy(run.team), run.demand);
  }
  const share = (team: string): number => {
    const used = usedBy(team);
    const quota = quotaOf(config, team);
    let dominant = 0;
    for (const d of dimensions) {
      const denominator = config.capacity[d] ?? quota[d];
      if (denominator !== undefined && denominator > 0) dominant = Math.max(dominant, used[d] / denominator);
    }
    return dominant;
  };

  const left = [...waiting];
  const decisions: Decision[] = [];
  let blockedBy: Waiting | undefined;
  let position = 0;
  while (left.length > 0) {
    let best = 0;
    for (let i = 1; i < left.length; i++) if (before(left[i]!, left[best]!, share)) best = i;
    const run = left.splice(best, 1)[0]!;
    const team = usedBy(run.team);
    let reason: string | undefined;
    if (blockedBy) reason = `behind run ${blockedBy.id} (queue ${blockedBy.queue}), which waits for capacity`;
    else {
      const overQuota = overLimit(quotaOf(config, run.team), team, run.demand);
      const overCapacity = overQuota ? undefined : overLimit(config.capacity, total, run.demand);
      if (overQuota) reason = `team ${run.team} quota: ${overQuota}`;
      else if (overCapacity) {
        reason = `capacity: ${overCapacity}`;
        blockedBy = run;
      }
    }
    if (reason === undefined) {
      add(total, run.demand);
      add(team, run.demand);
      decisions.push({ id: run.id, admit: true, position: 0, reason: '' });
    } else {
      position += 1;
      decisions.push({ id: run.id, admit: false, position, reason });
    }
  }
  return decisions;
}

function before(a: Waiting, b: Waiting, share: (team: string) => number): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  const shareA = share(a.team);
  const shareB = share(b.team);
  if (shareA !== shareB) return shareA < shareB;
  if (a.queuedSince !== b.queuedSince) return a.queuedSince < b.queuedSince;
  return a.id < b.id;
}
