import type { DescMethod } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { AppError } from '@flywheel/core';
import type { CallContext, Principal, ServiceImpl } from '@flywheel/rpc';
import { TokenBucket } from 'limiter';

/** Requests a principal may make: `burst` at once, refilled at `ratePerSecond`. */
export interface PrincipalRateConfig {
  /** `FLYWHEEL_SERVING_PRINCIPAL_RATE`: requests per second. */
  ratePerSecond: number;
  /** `FLYWHEEL_SERVING_PRINCIPAL_BURST`: requests at once after a pause. */
  burst: number;
}

/** Admits or refuses one request of a principal. */
export interface PrincipalLimits {
  /** Throws `resource_exhausted` naming the limit (with `details.retryAfterSeconds`) past it. */
  admit(principal: Principal): void;
}

// Idle principals' buckets refill to full and carry nothing worth keeping: past this many
// principals, full buckets are dropped, so many one-off subjects cannot grow the map unbounded.
const maxTrackedPrincipals = 10_000;

/**
 * One token bucket (the `limiter` package) per principal subject, kept in this process: every
 * replica limits on its own, so N replicas behind a balancer admit up to N times the rate.
 * Without a config there is no limit (undefined).
 */
export function createPrincipalLimits(config: PrincipalRateConfig | undefined): PrincipalLimits | undefined {
  if (!config) return undefined;
  const buckets = new Map<string, TokenBucket>();
  const bucketOf = (subject: string): TokenBucket => {
    let bucket = buckets.get(subject);
    if (bucket) return bucket;
    if (buckets.size >= maxTrackedPrincipals) {
      for (const [key, idle] of buckets) {
        idle.drip();
        if (idle.content >= idle.bucketSize) buckets.delete(key);
      }
    }
    bucket = new TokenBucket({
      bucketSize: config.burst,
      tokensPerInterval: config.ratePerSecond,
      interval: 1000,
    });
    // A new bucket starts empty in `limiter`; a principal's first burst is allowed.
    bucket.content = config.burst;
    buckets.set(subject, bucket);
    return bucket;
  };
  return {
    admit(principal) {
      const bucket = bucketOf(principal.subject);
      if (bucket.tryRemoveTokens(1)) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(bucket.getWaitTime(1) / 1000));
      throw new AppError(
        'resource_exhausted',
        `principal "${principal.subject}" is over serving's per-principal request limit ` +
          `(FLYWHEEL_SERVING_PRINCIPAL_RATE=${config.ratePerSecond}/s, FLYWHEEL_SERVING_PRINCIPAL_BURST=${config.burst}); ` +
          `retry in ${retryAfterSeconds} s`,
        { details: { retryAfterSeconds: String(retryAfterSeconds) }, retriable: true },
      );
    },
  };
}

/**
 * `impl` with every request of the methods not in `exempt` admitted by `limits` first, by the
 * call's principal; each message of a client stream counts as one request. Without limits, `impl`
 * itself: the hot path stays as it was.
 */
export function limitedByPrincipal<S extends GenServiceMethods>(
  service: GenService<S>,
  impl: ServiceImpl<S>,
  limits: PrincipalLimits | undefined,
  exempt: readonly (keyof S)[] = [],
): ServiceImpl<S> {
  if (!limits) return impl;
  const limited: Record<string, unknown> = { ...impl };
  for (const method of Object.values(service.method) as DescMethod[]) {
    const handler = (impl as Record<string, unknown>)[method.localName] as
      | ((input: unknown, ctx: CallContext) => unknown)
      | undefined;
    if (!handler || exempt.includes(method.localName as keyof S)) continue;
    const streamsIn = method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming';
    limited[method.localName] = streamsIn
      ? (requests: AsyncIterable<unknown>, ctx: CallContext) => handler(admitEach(requests, limits, ctx), ctx)
      : (request: unknown, ctx: CallContext) => {
          limits.admit(ctx.principal);
          return handler(request, ctx);
        };
  }
  return limited as ServiceImpl<S>;
}

async function* admitEach(
  requests: AsyncIterable<unknown>,
  limits: PrincipalLimits,
  ctx: CallContext,
): AsyncIterable<unknown> {
  for await (const request of requests) {
    limits.admit(ctx.principal);
    yield request;
  }
}
