import type { ExpectationRecord } from './expectation-records.ts';
import { countChecked, countViolation, emptyTally, type ViolationTally } from './violation-tally.ts';

/** A checked value: a scalar, a list, or null (an explicit null / a missing value). */
export type ExpectationValue = string | number | boolean | null | readonly (string | number | boolean)[];

/** One row to check: its event time and the values it sets (a feature it does not set is absent). */
export interface ExpectationRow {
  readonly timeMs: number;
  readonly values: Readonly<Record<string, ExpectationValue | undefined>>;
}

/** A row a REJECT expectation refused, with one reason per violated expectation. */
export interface RejectedRow<R extends ExpectationRow = ExpectationRow> {
  readonly row: R;
  readonly reasons: readonly string[];
}

/** The outcome of checking a batch of rows against expectations. */
export interface ExpectationsOutcome<R extends ExpectationRow = ExpectationRow> {
  /** Rows to write: every row no REJECT expectation refused, in input order. */
  readonly accepted: readonly R[];
  readonly rejected: readonly RejectedRow<R>[];
  /** One tally per expectation, aligned with the expectations; see `violated`. */
  readonly tallies: readonly ViolationTally[];
}

/** What a violating value showed: the number out of range, the new category, the age. */
export interface Violation {
  readonly reason: string;
  readonly number?: number;
  readonly category?: string;
  readonly ageMs?: number;
}

/**
 * Why `value` (at event time `timeMs`, checked at `nowMs`) violates `expectation`, or undefined when
 * it does not. A feature the row does not set is not checked (undefined); a null is only a
 * not_null matter. Also used one served value at a time (online reads).
 */
export function violationOf(
  expectation: ExpectationRecord,
  value: ExpectationValue | undefined,
  timeMs: number,
  nowMs: number,
): Violation | undefined {
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
 * Checks a batch of rows against `expectations` (at time `nowMs`, for freshness). A row violating
 * any REJECT expectation is refused with every reason; the others are accepted, violations of WARN
 * expectations included. Violations are tallied per expectation, not per row. A not_null tally
 * counts as violated only when its batch's null fraction exceeds `max_null_fraction` (always, for
 * REJECT, whose tolerance is 0).
 */
export function checkExpectations<R extends ExpectationRow>(
  expectations: readonly ExpectationRecord[],
  rows: readonly R[],
  nowMs: number,
): ExpectationsOutcome<R> {
  const tallies = expectations.map(() => emptyTally());
  if (expectations.length === 0) return { accepted: rows, rejected: [], tallies };
  const accepted: R[] = [];
  const rejected: RejectedRow<R>[] = [];
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
  settleNullTolerance(expectations, tallies);
  return { accepted, rejected, tallies };
}

/**
 * Clears the violations of each not_null tally whose nulls are within its expectation's
 * `max_null_fraction` of the values checked: nulls within the tolerance are no violation.
 */
export function settleNullTolerance(
  expectations: readonly ExpectationRecord[],
  tallies: readonly ViolationTally[],
): void {
  expectations.forEach((expectation, i) => {
    const tally = tallies[i]!;
    if (expectation.kind === 'not_null' && tally.nulls <= expectation.maxNullFraction * tally.checked) {
      tally.violations = 0;
    }
  });
}
