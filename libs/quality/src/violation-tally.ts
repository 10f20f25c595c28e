import type { ExpectationValue } from './check-expectations.ts';

/** Most violating values kept as samples, and new categories kept, per expectation. */
const maxSamples = 10;
const maxCategories = 100;

/** What one expectation saw over a batch (ingest, a prediction batch) or a flush interval (online reads). */
export interface ViolationTally {
  /** Values checked: rows setting the feature (every row for freshness). */
  checked: number;
  /** Nulls among them (not_null only). */
  nulls: number;
  /** Values violating (for not_null: the nulls, once the fraction is over the tolerance). */
  violations: number;
  /** Rows refused (REJECT at ingest). */
  rejected: number;
  /** Extremes of the out-of-range values. */
  min: number;
  max: number;
  /** New categories seen, up to 100. */
  readonly newCategories: Set<string>;
  /** Oldest age seen beyond the limit, ms (freshness). */
  maxAgeMs: number;
  /** Up to ten violating values, as text. */
  readonly samples: string[];
  /** Event-time range of the values checked, epoch ms. */
  startMs: number;
  endMs: number;
}

/** An empty tally. */
export function emptyTally(): ViolationTally {
  return {
    checked: 0,
    nulls: 0,
    violations: 0,
    rejected: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    newCategories: new Set(),
    maxAgeMs: 0,
    samples: [],
    startMs: Number.POSITIVE_INFINITY,
    endMs: Number.NEGATIVE_INFINITY,
  };
}

/** Counts one checked value at `timeMs`. */
export function countChecked(tally: ViolationTally, timeMs: number): void {
  tally.checked++;
  tally.startMs = Math.min(tally.startMs, timeMs);
  tally.endMs = Math.max(tally.endMs, timeMs);
}

/** Counts one violating value (a number, a category or an age) and keeps it as a sample. */
export function countViolation(
  tally: ViolationTally,
  value: ExpectationValue,
  observed: { number?: number; category?: string; ageMs?: number },
): void {
  tally.violations++;
  if (observed.number !== undefined) {
    tally.min = Math.min(tally.min, observed.number);
    tally.max = Math.max(tally.max, observed.number);
  }
  if (observed.category !== undefined && tally.newCategories.size < maxCategories) {
    tally.newCategories.add(observed.category);
  }
  if (observed.ageMs !== undefined) tally.maxAgeMs = Math.max(tally.maxAgeMs, observed.ageMs);
  if (tally.samples.length < maxSamples) tally.samples.push(JSON.stringify(value));
}

/** True when the tally is a violation worth an event. */
export function violated(tally: ViolationTally): boolean {
  return tally.violations > 0;
}
