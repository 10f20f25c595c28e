import type { Pause } from '../values/time-slice.ts';

/** A row of history: its entity, event time (epoch ms) and write order. */
export interface TimedRow {
  readonly keyId: string;
  readonly timeMs: number;
  readonly seq: number;
}

/** An as-of lookup: this entity, as of this time (epoch ms). */
export interface AsOf {
  readonly keyId: string;
  readonly timeMs: number;
}

/**
 * Point-in-time join of one view's history to entity rows: for each lookup, the latest history row
 * of that entity with `timeMs ≤ asOf.timeMs` and, when `ttlMs` is set, `timeMs ≥ asOf.timeMs −
 * ttlMs`; undefined when there is none. Never a row from after the lookup's time. Of two rows of
 * one entity at the same time, the one written later (higher `seq`) wins.
 *
 * Sort and merge per entity: O(n log n + m log m) for n history rows and m lookups, not O(n·m).
 * The result is aligned with `lookups`.
 */
export function pointInTimeJoin<H extends TimedRow>(
  history: readonly H[],
  lookups: readonly AsOf[],
  ttlMs: number | null,
): (H | undefined)[] {
  const steps = joinSteps(history, lookups, ttlMs);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** {@link pointInTimeJoin} in slices, awaiting `pause` between them so the event loop keeps turning. */
export async function pointInTimeJoinSliced<H extends TimedRow>(
  history: readonly H[],
  lookups: readonly AsOf[],
  ttlMs: number | null,
  pause: Pause,
): Promise<(H | undefined)[]> {
  const steps = joinSteps(history, lookups, ttlMs);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}

/** The join, yielding after each unit of work (a row, an entity) so a driver may pause there. */
function* joinSteps<H extends TimedRow>(
  history: readonly H[],
  lookups: readonly AsOf[],
  ttlMs: number | null,
): Generator<void, (H | undefined)[]> {
  const byEntity = new Map<string, H[]>();
  for (const row of history) {
    const rows = byEntity.get(row.keyId);
    if (rows) rows.push(row);
    else byEntity.set(row.keyId, [row]);
    yield;
  }
  for (const rows of byEntity.values()) {
    rows.sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq);
    yield;
  }

  const lookupsByEntity = new Map<string, number[]>();
  for (const [index, lookup] of lookups.entries()) {
    const indexes = lookupsByEntity.get(lookup.keyId);
    if (indexes) indexes.push(index);
    else lookupsByEntity.set(lookup.keyId, [index]);
    yield;
  }

  const result = new Array<H | undefined>(lookups.length).fill(undefined);
  for (const [keyId, indexes] of lookupsByEntity) {
    yield;
    const rows = byEntity.get(keyId);
    if (!rows) continue;
    indexes.sort((a, b) => lookups[a]!.timeMs - lookups[b]!.timeMs);
    let next = 0; // rows[0..next) are at or before the current lookup's time
    for (const index of indexes) {
      const asOf = lookups[index]!.timeMs;
      while (next < rows.length && rows[next]!.timeMs <= asOf) next++;
      const candidate = next > 0 ? rows[next - 1] : undefined;
      if (candidate && (ttlMs === null || candidate.timeMs >= asOf - ttlMs)) result[index] = candidate;
    }
  }
  return result;
}

/**
 * History without superseded rows: one row per (entity, time), the one written last, ordered by time
 * then entity; awaits `pause` after each row.
 */
export async function latestWrites<H extends TimedRow>(
  history: readonly H[],
  pause: Pause = () => undefined,
): Promise<H[]> {
  const byEntityTime = new Map<string, H>();
  for (const row of history) {
    const id = `${row.timeMs}\u0000${row.keyId}`;
    const held = byEntityTime.get(id);
    if (!held || row.seq > held.seq) byEntityTime.set(id, row);
    await pause();
  }
  return [...byEntityTime.values()].sort(
    (a, b) => a.timeMs - b.timeMs || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0),
  );
}
