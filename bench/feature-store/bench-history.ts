// The synthetic feature history and command-line flags the offline-store benches share, so the
// PIT-join bench and the training-set memory bench measure the same data.
import { seededRandom } from '@flywheel/ml';

export const hourMs = 3600_000;
/** The history's first hour. */
export const historyStartMs = Date.parse('2024-01-01T00:00:00Z');

/** `--name=value` flags (a bare `--name` is `true`). */
export function benchFlags(argv: readonly string[] = process.argv.slice(2)) {
  const flags = new Map(
    argv
      .filter((a) => a.startsWith('--'))
      .map((a) => {
        const [k, v = 'true'] = a.slice(2).split('=');
        return [k!, v];
      }),
  );
  return {
    get: (name: string): string | undefined => flags.get(name),
    has: (name: string): boolean => flags.has(name),
    num: (name: string, fallback: number): number => Number(flags.get(name) ?? fallback),
  };
}

/** A seeded integer source in [0, n), so every run and every store sees the same rows. */
export function seededInts(seed: number): (n: number) => number {
  const random = seededRandom(seed);
  return (n) => Math.floor(random() * n);
}

export interface HistoryShape {
  readonly entities: number;
  readonly rowsPerEntity: number;
  readonly featureNames: readonly string[];
  readonly batchRows: number;
  /** One value in this many is null (0: none). */
  readonly nullOneIn?: number;
}

export interface HistoryRow {
  key: number[];
  timeMs: number;
  values: Record<string, number | null>;
}

/**
 * Every entity once per hour for `rowsPerEntity` hours, at a random minute, DOUBLE features, in
 * time-major batches of `batchRows` (every entity at hours h..h+k), so chunks cover narrow time
 * ranges as a real ingest's do.
 */
export function* historyBatches(shape: HistoryShape): Generator<HistoryRow[]> {
  const random = seededInts(42);
  const nullOneIn = shape.nullOneIn ?? 0;
  let batch: HistoryRow[] = [];
  for (let t = 0; t < shape.rowsPerEntity; t++) {
    for (let e = 0; e < shape.entities; e++) {
      const values: Record<string, number | null> = {};
      for (const name of shape.featureNames)
        values[name] = nullOneIn > 0 && random(nullOneIn) === 0 ? null : random(1_000_000) / 1000;
      // A spread copy, as the service's row builders make (fastValues): V8 keeps it in fast mode.
      batch.push({ key: [e], timeMs: historyStartMs + t * hourMs + random(hourMs), values: { ...values } });
      if (batch.length === shape.batchRows) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}
