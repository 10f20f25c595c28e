/** How to tell a served value from the training one. */
export interface SkewTolerance {
  /** |served − offline| ≤ absolute + relative × |offline| is a match. */
  readonly absolute: number;
  readonly relative: number;
}

/** Served vs offline values of one feature of one deployment, over one batch of predictions. */
export interface SkewTally {
  readonly feature: string;
  readonly input: string;
  compared: number;
  mismatches: number;
  /** Served, but the offline store holds no value for that entity and time. */
  missing: number;
  sumAbsDifference: number;
  maxAbsDifference: number;
  sumServed: number;
  sumTraining: number;
  startMs: number;
  endMs: number;
}

/** An empty tally of `feature` (fed to model input `input`). */
export function emptySkewTally(feature: string, input: string): SkewTally {
  return {
    feature,
    input,
    compared: 0,
    mismatches: 0,
    missing: 0,
    sumAbsDifference: 0,
    maxAbsDifference: 0,
    sumServed: 0,
    sumTraining: 0,
    startMs: Number.POSITIVE_INFINITY,
    endMs: Number.NEGATIVE_INFINITY,
  };
}

/**
 * Counts one served value against the offline value for the same entity and time (null: the
 * offline store has none, which counts as a mismatch: training would not have seen this value).
 */
export function countPair(
  tally: SkewTally,
  served: number,
  offline: number | null,
  timeMs: number,
  tolerance: SkewTolerance,
): void {
  tally.startMs = Math.min(tally.startMs, timeMs);
  tally.endMs = Math.max(tally.endMs, timeMs);
  if (offline === null) {
    tally.missing++;
    tally.mismatches++;
    return;
  }
  const difference = Math.abs(served - offline);
  tally.compared++;
  tally.sumAbsDifference += difference;
  tally.maxAbsDifference = Math.max(tally.maxAbsDifference, difference);
  tally.sumServed += served;
  tally.sumTraining += offline;
  if (difference > tolerance.absolute + tolerance.relative * Math.abs(offline)) tally.mismatches++;
}

/** mismatches / (compared + missing); 0 for an empty tally. */
export function mismatchRate(tally: SkewTally): number {
  const total = tally.compared + tally.missing;
  return total === 0 ? 0 : tally.mismatches / total;
}
