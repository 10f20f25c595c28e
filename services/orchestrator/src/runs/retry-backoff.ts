import { durationMs } from '@bufbuild/protobuf/wkt';
import type { RetryPolicy } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';

/** Wait before the second attempt when the policy sets none, ms. */
export const defaultInitialBackoffMs = 1000;
/** Cap on the wait when the policy sets none, ms. */
export const defaultMaxBackoffMs = 300_000;

/** Attempts a step gets in total, the first included (at least 1). */
export function maxAttemptsOf(policy: RetryPolicy | undefined): number {
  return Math.max(1, policy?.maxAttempts ?? 1);
}

/**
 * The wait after the `failedAttempts`-th failed attempt (from 1), ms: exponential
 * (`initial_backoff × multiplier^(failedAttempts−1)`, multiplier 2 unless set), capped at
 * `max_backoff`, with "equal jitter": a random point in the upper half, so that steps failing
 * together do not retry in lockstep.
 */
export function retryDelayMs(
  policy: RetryPolicy | undefined,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  const initial = policy?.initialBackoff ? durationMs(policy.initialBackoff) : defaultInitialBackoffMs;
  const cap = Math.max(initial, policy?.maxBackoff ? durationMs(policy.maxBackoff) : defaultMaxBackoffMs);
  const multiplier = policy?.backoffMultiplier || 2;
  const exponential = Math.min(cap, initial * multiplier ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
