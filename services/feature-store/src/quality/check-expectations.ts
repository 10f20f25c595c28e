import type { ExpectationRecord } from '../values/expectation-records.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { StoredValue } from '../values/feature-values.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import { countChecked, countViolation, emptyTally, type ViolationTally } from './violation-tally.ts';

/** A row a REJECT expectation refused, with one reason per violated expectation. */
export interface RejectedRow {
  readonly row: FeatureRowData;
  readonly reasons: readonly string[];
}

/** The outcome of checking a batch of rows against a view's expectations. */
export interface ExpectationsOutcome {
  /** Rows to write: every row no REJECT expectation refused, in input order. */
  readonly accepted: readonly FeatureRowData[];
  readonly rejected: readonly RejectedRow[];
  /** One tally per expectation, aligned with the view's expectations; see {@link violated}. */
  readonly tallies: readonly ViolationTally[];
}

/**
 * Why `value` (at event time `timeMs`, checked at `nowMs`) violates `expectation`, or undefined when
 * it does not. A feature the row does not set is not checked (undefined); a null is only a
 * not_null matter. Also used for online reads, one served value at a time.
 */
export function violationOf(
  expectation: ExpectationRecord,
  value: StoredValue | undefined,
  timeMs: number,
  nowMs: number,
): { reason: string; number?: number; category?: string; ageMs?: number } | undefined {
  if (expectation.kind === 'freshness') {
    const ageMs = nowMs - timeMs;
    return ageMs > expectation.maxAgeMs
      ? { reason: `event time is ${ageMs} ms old, over max age ${expectation.maxAgeMs} ms`, ageMs }
      : undefined;
  }
  const name = expectation.feature;
  if (value === undefined) return undefined;
  if (value === null) return expectation.kind === 'not_null' ? { reason: `${name}: is null` } : undefined;
  switch (expectation.kind) {
    case 'not_null':
      return undefined;
    case 'range': {
      const n = Number(value);
      if (expectation.min !== null && n < expectation.min)
        return { reason: `${name}: ${n} is below min ${expectation.min}`, number: n };
      if (expectation.max !== null && n > expectation.max)
        return { reason: `${name}: ${n} is above max ${expectation.max}`, number: n };
      return undefined;
    }
    case 'allowed_categories': {
      const category = String(value);
      return expectation.values.includes(category)
        ? undefined
        : { reason: `${name}: "${category}" is not an allowed category`, category };
    }
  }
}

/**
 * Checks a batch of validated rows against the view's expectations (at time `nowMs`, for
 * freshness). A row violating any REJECT expectation is refused with every reason; the others are
 * accepted, violations of WARN expectations included. Violations are tallied per expectation, not
 * per row. A not_null tally counts as violated only when its batch's null fraction exceeds
 * `max_null_fraction` (always, for REJECT, whose tolerance is 0).
 */
export function checkExpectations(
  view: FeatureViewRecord,
  rows: readonly FeatureRowData[],
  nowMs: number,
): ExpectationsOutcome {
  const expectations = view.expectations ?? [];
  const tallies = expectations.map(() => emptyTally());
  if (expectations.length === 0) return { accepted: rows, rejected: [], tallies };
  const accepted: FeatureRowData[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of rows) {
    const reasons: string[] = [];
    expectations.forEach((expectation, i) => {
      const tally = tallies[i]!;
      const value = expectation.kind === 'freshness' ? null : row.values[expectation.feature];
      if (expectation.kind !== 'freshness' && value === undefined) return;
      countChecked(tally, row.timeMs);
      const found = violationOf(expectation, value, row.timeMs, nowMs);
      if (!found) return;
      if (expectation.kind === 'not_null') tally.nulls++;
      countViolation(tally, value ?? null, found);
      if (expectation.action === 'reject') {
        tally.rejected++;
        reasons.push(found.reason);
      }
    });
    if (reasons.length > 0) rejected.push({ row, reasons });
    else accepted.push(row);
  }
  expectations.forEach((expectation, i) => {
    const tally = tallies[i]!;
    // Nulls within the tolerance are no violation.
    if (expectation.kind === 'not_null' && tally.nulls <= expectation.maxNullFraction * tally.checked) {
      tally.violations = 0;
    }
  });
  return { accepted, rejected, tallies };
}
