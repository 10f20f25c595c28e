import { AppError } from '@flywheel/core';
import { CronExpressionParser } from 'cron-parser';

/** When a five-field cron expression ticks, in its time zone. Times are epoch milliseconds. */
export interface CronSchedule {
  readonly expression: string;
  /** IANA zone; `UTC` when the schedule gave none. */
  readonly timezone: string;
  /** The first tick strictly after `afterMs`. */
  next(afterMs: number): number;
  /** The latest tick at or before `atMs`. */
  latestAtOrBefore(atMs: number): number;
}

/** Shorthands that stand for a five-field expression. */
const macros: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * Parses `expression` (minute hour day-of-month month day-of-week, with ranges, steps, lists, names
 * such as `MON`/`JAN`, `L` and `#`, or one of `@yearly @monthly @weekly @daily @hourly`) read in
 * `timezone` (IANA; empty = UTC). Rejects six-field (seconds) expressions and expressions that can
 * never fire, with `invalid_argument` naming `fields.cron` or `fields.timezone`.
 */
export function parseCron(
  expression: string,
  timezone: string,
  fields: { cron: string; timezone: string },
): CronSchedule {
  const zone = timezone === '' ? 'UTC' : timezone;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw AppError.invalidArgument(
      fields.timezone,
      `"${timezone}" is not an IANA time zone (e.g. Europe/Paris)`,
    );
  }
  const trimmed = expression.trim();
  const fiveFields = macros[trimmed.toLowerCase()] ?? trimmed;
  const count = fiveFields.split(/\s+/).length;
  if (count !== 5) {
    throw AppError.invalidArgument(
      fields.cron,
      `"${expression}" must have 5 fields (minute hour day-of-month month day-of-week), got ${count}`,
    );
  }
  const at = (currentDate: number) => CronExpressionParser.parse(fiveFields, { tz: zone, currentDate });
  try {
    at(Date.UTC(2000, 0, 1)).next();
  } catch (error) {
    throw AppError.invalidArgument(
      fields.cron,
      `"${expression}" is not a valid cron expression: ${(error as Error).message}`,
    );
  }
  return {
    expression: trimmed,
    timezone: zone,
    next: (afterMs) => at(afterMs).next().getTime(),
    latestAtOrBefore: (atMs) =>
      at(atMs + 1)
        .prev()
        .getTime(),
  };
}
