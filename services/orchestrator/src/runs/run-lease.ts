import type { RunOwner, RunRecord } from './run-records.ts';

/** This process as a run owner: its replica id (stable across restarts) and this start of it. */
export interface RunInstance {
  readonly id: string;
  readonly incarnation: string;
}

/** True when `me` (this very process) owns the run. */
export function ownedBy(record: RunRecord, me: RunInstance): boolean {
  return record.owner?.instanceId === me.id && record.owner.incarnation === me.incarnation;
}

/**
 * True when `me` may take the run: nobody owns it, `me` already does, its owner's lease ended at
 * `now`, or its owner is an earlier process of the same replica (a restart: it is gone).
 */
export function claimable(record: RunRecord, me: RunInstance, now: number): boolean {
  const owner = record.owner;
  return !owner || owner.instanceId === me.id || owner.leaseUntil <= now;
}

/** The owner stamp of `me` with a lease of `leaseMs` from `now`. */
export function leaseOf(me: RunInstance, leaseMs: number, now: number): RunOwner {
  return { instanceId: me.id, incarnation: me.incarnation, leaseUntil: now + leaseMs };
}
