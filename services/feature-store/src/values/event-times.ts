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
