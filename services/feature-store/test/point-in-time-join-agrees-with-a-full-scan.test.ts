import { describe, expect, it } from 'vitest';
import { pointInTimeJoin } from '../src/storage/point-in-time-join.ts';

/** Deterministic pseudo-random integers in [0, n). */
function seeded(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

/** What the join must return, by the definition: scan every row of the entity. */
function fullScan(
  history: { keyId: string; timeMs: number; seq: number }[],
  lookup: { keyId: string; timeMs: number },
  ttlMs: number | null,
) {
  let best: (typeof history)[number] | undefined;
  for (const row of history) {
    if (row.keyId !== lookup.keyId || row.timeMs > lookup.timeMs) continue;
    if (ttlMs !== null && row.timeMs < lookup.timeMs - ttlMs) continue;
    if (!best || row.timeMs > best.timeMs || (row.timeMs === best.timeMs && row.seq > best.seq)) best = row;
  }
  return best;
}

describe('pointInTimeJoin', () => {
  it('agrees with a full scan on random histories, ties and TTLs included', () => {
    const random = seeded(42);
    for (let round = 0; round < 50; round++) {
      const entities = 1 + random(6);
      const history = Array.from({ length: random(200) }, (_, seq) => ({
        keyId: `e${random(entities)}`,
        timeMs: random(100), // few distinct times: many ties
        seq,
      }));
      history.sort(() => random(3) - 1); // arrival order differs from seq order
      const lookups = Array.from({ length: random(100) }, () => ({
        keyId: `e${random(entities + 1)}`,
        timeMs: random(110),
      }));
      const ttlMs = random(2) === 0 ? null : random(30);
      const joined = pointInTimeJoin(history, lookups, ttlMs);
      expect(joined).toEqual(lookups.map((lookup) => fullScan(history, lookup, ttlMs)));
    }
  });

  it('returns nothing for an entity without history, and keeps lookups in their order', () => {
    const history = [
      { keyId: 'a', timeMs: 10, seq: 0 },
      { keyId: 'a', timeMs: 20, seq: 1 },
    ];
    const joined = pointInTimeJoin(
      history,
      [
        { keyId: 'a', timeMs: 25 },
        { keyId: 'b', timeMs: 25 },
        { keyId: 'a', timeMs: 15 },
        { keyId: 'a', timeMs: 9 },
      ],
      10,
    );
    expect(joined.map((r) => r?.timeMs)).toEqual([20, undefined, 10, undefined]);
  });
});
