import { AppError, backoffMs } from '@flywheel/core';
import type { SubscribeOptions } from '../event-bus.ts';

/** SubscribeOptions' retry settings with their defaults applied. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** What to do with a nacked delivery. */
export type NackDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

/** Applies the port's defaults (5 attempts, 100 → 5000 ms) and rejects nonsense. */
export function retryPolicyOf(options: Pick<SubscribeOptions, 'maxAttempts' | 'retryBackoff'>): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 5;
  const { baseMs, maxMs } = options.retryBackoff ?? { baseMs: 100, maxMs: 5000 };
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw AppError.invalidArgument('maxAttempts', 'must be an integer ≥ 1');
  if (!(baseMs >= 0 && maxMs >= baseMs))
    throw AppError.invalidArgument('retryBackoff', 'needs 0 ≤ baseMs ≤ maxMs');
  return { maxAttempts, baseMs, maxMs };
}

/**
 * Retry after backoff when the error is retriable and attempts remain; otherwise dead-letter,
 * with a reason that names the error code and message.
 */
export function decideNack(policy: RetryPolicy, attempt: number, error: unknown): NackDecision {
  const failure = AppError.from(error);
  if (failure.retriable && attempt < policy.maxAttempts) {
    return { retry: true, delayMs: backoffMs(attempt - 1, policy.baseMs, policy.maxMs) };
  }
  const why = failure.retriable ? `gave up after ${attempt} attempts` : 'not retriable';
  return { retry: false, reason: `${failure.code}: ${failure.message} (${why})` };
}
