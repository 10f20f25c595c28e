import type { JsonValue } from '@bufbuild/protobuf';

// Date arithmetic inside a template reference: `${schedule.tick_time - 7d}`,
// `${params.end_time - P7D}`, `${event.time + PT12H}`. A reference is one token; each shift is an
// operator after a space (step names hold `-`, so `a-7d` stays one reference) and a duration.

/** A `${…}` expression: the reference and, when the expression shifts it, the total shift in ms. */
export interface TemplateExpression {
  readonly reference: string;
  /** Undefined when the expression is a bare reference. */
  readonly shiftMs: number | undefined;
}

const shape = /^(\S+)((?:\s+[+-]\s*\S+)*)$/;
const shiftTerm = /\s+([+-])\s*(\S+)/g;
const shortUnits: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const shortDuration = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const shortPart = /(\d+)(ms|s|m|h|d|w)/g;
const isoDuration = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;
const isoCalendar = /^P(?:\d+Y)?(?:\d+M)?/;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses the inside of `${…}` (already trimmed): a reference, then any number of `+ <duration>` /
 * `- <duration>`. Returns the expression, or what is wrong with it as a sentence.
 */
export function parseExpression(text: string): TemplateExpression | string {
  const parts = shape.exec(text);
  if (!parts) {
    return text === ''
      ? 'is empty'
      : 'is malformed: want a reference, optionally shifted by durations (e.g. schedule.tick_time - 7d)';
  }
  const reference = parts[1] ?? '';
  const shifts = parts[2] ?? '';
  if (shifts === '') return { reference, shiftMs: undefined };
  let shiftMs = 0;
  for (const [, operator, duration = ''] of shifts.matchAll(shiftTerm)) {
    const ms = parseDurationMs(duration);
    if (typeof ms === 'string') return `"${duration}" ${ms}`;
    shiftMs += operator === '-' ? -ms : ms;
  }
  return { reference, shiftMs };
}

/**
 * A duration in ms: `90s`, `12h`, `7d`, `2w`, `1d12h` (units ms s m h d w; a day is 24 h) or
 * ISO 8601 `P7D`, `PT12H`, `P1W`, `P1DT2H30M`. Years and months have no fixed length and are
 * refused. Returns the ms, or what is wrong as a sentence.
 */
export function parseDurationMs(text: string): number | string {
  if (shortDuration.test(text)) {
    let ms = 0;
    for (const [, count, unit = 's'] of text.matchAll(shortPart))
      ms += Number(count) * (shortUnits[unit] ?? 0);
    return ms;
  }
  const iso = isoDuration.exec(text);
  if (iso && text !== 'P' && !text.endsWith('T')) {
    const [, weeks, days, hours, minutes, seconds] = iso.map((part) => Number(part ?? 0));
    return Math.round(
      (weeks ?? 0) * shortUnits.w! +
        (days ?? 0) * shortUnits.d! +
        (hours ?? 0) * shortUnits.h! +
        (minutes ?? 0) * shortUnits.m! +
        (seconds ?? 0) * 1_000,
    );
  }
  const calendar = isoCalendar.exec(text);
  if (calendar && calendar[0] !== 'P') {
    return 'uses years or months, which have no fixed length: give days or weeks (P30D, P4W)';
  }
  return 'is not a duration (7d, 12h, 30m, 90s, 1d12h, or ISO 8601 such as P7D, PT12H, P1DT2H)';
}

/**
 * `value` — an RFC 3339 time — moved by `shiftMs`, as RFC 3339 UTC with milliseconds (what
 * `${schedule.tick_time}` gives). Returns the time, or what is wrong as a sentence.
 */
export function shiftTime(value: JsonValue, shiftMs: number): string | { problem: string } {
  const ms = typeof value === 'string' && rfc3339.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    return { problem: `cannot shift ${JSON.stringify(value)} by a duration: it is not an RFC 3339 time` };
  }
  const shifted = new Date(ms + shiftMs);
  if (!Number.isFinite(shifted.getTime())) return { problem: 'the shifted time is out of range' };
  return shifted.toISOString();
}
