import { AppError, backoffMs } from '@flywheel/core';
import type { SubscribeOptions } from '../event-bus.ts';

/** SubscribeOptions' retry settings with their defaults applied. */
export interface RetryPolicy {
  /** How long a retriable failure is retried, from the first attempt, before it is dead-lettered, ms. */
  readonly budgetMs: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** What to do with a nacked delivery. */
export type NackDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

/** The port's default retry budget: a store or broker outage of minutes does not dead-letter valid events. */
export const defaultRetryBudgetMs = 15 * 60_000;
/** The port's default backoff between attempts: 100 ms doubling up to 30 s. */
export const defaultRetryBackoff = { baseMs: 100, maxMs: 30_000 } as const;

/**
 * Applies the defaults (the bus's `defaultBudgetMs`, 100 → 30 000 ms backoff) to a subscription's
 * retry settings and rejects nonsense with `invalid_argument`.
 */
export function retryPolicyOf(
  options: Pick<SubscribeOptions, 'retryBudgetMs' | 'retryBackoff'>,
  defaultBudgetMs: number = defaultRetryBudgetMs,
): RetryPolicy {
  const budgetMs = options.retryBudgetMs ?? defaultBudgetMs;
  const { baseMs, maxMs } = options.retryBackoff ?? defaultRetryBackoff;
  if (!(Number.isFinite(budgetMs) && budgetMs >= 0))
    throw AppError.invalidArgument('retryBudgetMs', 'must be a number of ms ≥ 0');
  if (!(baseMs >= 0 && maxMs >= baseMs))
    throw AppError.invalidArgument('retryBackoff', 'needs 0 ≤ baseMs ≤ maxMs');
  return { budgetMs, baseMs, maxMs };
}

/**
 * A non-retriable error is dead-lettered at once (poison: retrying cannot help). A retriable one
 * (a store or broker outage) is retried after exponential backoff for as long as the budget
 * lasts, measured from the first attempt (`elapsedMs`); the last wait is cut to end with the
 * budget, and only an attempt that fails after the budget is spent is dead-lettered. The reason
 * names the error code and message and, for a retriable error, how long it was tried.
 */
export function decideNack(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  error: unknown,
): NackDecision {
  const failure = AppError.from(error);
  const what = `${failure.code}: ${failure.message}`;
  if (!failure.retriable) return { retry: false, reason: `${what} (not retriable)` };
  if (elapsedMs < policy.budgetMs) {
    const delayMs = Math.min(
      backoffMs(attempt - 1, policy.baseMs, policy.maxMs),
      policy.budgetMs - elapsedMs,
    );
    return { retry: true, delayMs };
  }
  return {
    retry: false,
    reason: `${what} (gave up after ${attempt} attempts over ${formatDuration(elapsedMs)})`,
  };
}

/** `850 ms`, `12.3 s`, `15.0 min`: how long a delivery was retried, for humans reading a DLQ. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
