import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';

// Event times are kept as epoch milliseconds. Sub-millisecond parts of a *feature value's* time are
// rounded up and those of an *as-of* time (entity row, window bound) rounded down, so the loss of
// precision can hide a value at worst, never let one from the future through.

/** Epoch ms of a feature value's event time, sub-millisecond parts rounded up. */
export function valueTimeMs(timestamp: Timestamp): number {
  return Number(timestamp.seconds) * 1000 + Math.ceil(timestamp.nanos / 1_000_000);
}

/** Epoch ms of an as-of time (entity row time, window bound), sub-millisecond parts rounded down. */
export function asOfTimeMs(timestamp: Timestamp): number {
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000);
}

/** The protobuf Timestamp of epoch ms. */
export function toTimestamp(ms: number): Timestamp {
  return timestampFromMs(ms);
}

/** The latest event time a write may carry: `skewMs` past `nowMs` (read once per batch). */
export interface FutureLimit {
  readonly nowMs: number;
  readonly skewMs: number;
}

/**
 * Refuses an event time later than now + the allowed skew with `invalid_argument` naming `field`:
 * a value from the far future (a mistyped year 9999) would otherwise stay the online value forever,
 * since only a later event time replaces it.
 */
export function checkNotInFuture(timeMs: number, limit: FutureLimit, field: string): void {
  const latest = limit.nowMs + limit.skewMs;
  if (timeMs <= latest) return;
  throw AppError.invalidArgument(
    field,
    `${isoOf(timeMs)} is later than now + ${durationText(limit.skewMs)} (${isoOf(latest)}); ` +
      'an event time is when the value became true, so it cannot be in the future ' +
      '(the allowed skew is FLYWHEEL_FEATURE_STORE_MAX_FUTURE_SKEW)',
  );
}

function durationText(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** RFC 3339 text of epoch ms, UTC with milliseconds: `2012-01-01T00:00:00.000Z`. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

const rfc3339 = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses an event time written in a dataset: RFC 3339 (`2012-01-01T08:00:00Z`, any fraction, any
 * offset) or a bare date (`2012-01-01`, midnight UTC). `rounding` says which way sub-millisecond
 * digits go (see {@link valueTimeMs} / {@link asOfTimeMs}). Throws `invalid_argument` naming `field`.
 */
export function parseEventTime(text: unknown, field: string, rounding: 'up' | 'down'): number {
  if (typeof text !== 'string') {
    throw AppError.invalidArgument(field, `must be an RFC 3339 time string, got ${describe(text)}`);
  }
  const match = rfc3339.exec(text.trim());
  if (!match)
    throw AppError.invalidArgument(field, `must be an RFC 3339 time or a YYYY-MM-DD date, got "${text}"`);
  const [, date, time, fraction = '', zone] = match;
  const whole = Date.parse(
    time === undefined ? `${date}T00:00:00Z` : `${date}T${time}${zone!.toUpperCase()}`,
  );
  if (Number.isNaN(whole)) throw AppError.invalidArgument(field, `is not a valid time: "${text}"`);
  const digits = fraction.padEnd(3, '0');
  const ms = Number(digits.slice(0, 3));
  const rest = digits.slice(3);
  const roundUp = rounding === 'up' && /[1-9]/.test(rest);
  return whole + ms + (roundUp ? 1 : 0);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return `${typeof value} ${JSON.stringify(value)}`;
}
