import { AppError, backoffMs, delay, isAppError, type Logger, silentLogger } from '@flywheel/core';
import type { Collection, Doc, DocumentStore } from '@flywheel/store';
import type { EventHandler } from './handle-events.ts';

/** The dedupe record of one event in one group: `<group>/<eventId>`. */
export interface ProcessedEvent {
  /** `running` while a handler holds the claim, `done` once its effect is complete. */
  readonly status: 'running' | 'done';
  /** Who holds or completed the claim: the incarnation (records written before instances: a random id). */
  readonly owner: string;
  /** The instance (replica) that took the claim: stable across its restarts. */
  readonly instance?: string;
  /** The process start of that instance that took the claim. */
  readonly incarnation?: string;
  /** While `running`: the claim lapses at this time (epoch ms) and another delivery may take over. */
  readonly leaseUntil: number;
  /** Claims taken so far (more than 1 means a holder crashed or overran its lease). */
  readonly claims: number;
  readonly topic: string;
  readonly updatedAt: string;
}

export interface IdempotentHandlerOptions {
  store: DocumentStore;
  /** Collection of the dedupe records. Default `processed-events`. */
  collection?: string;
  /**
   * How long a claim holds unless renewed, ms. The holder renews it every quarter of this while
   * its handler runs, so a handler may run as long as it needs; a holder that crashed stops
   * renewing, and a redelivery elsewhere takes over once the lease lapses. Short, so an event a
   * dead process held waits little. Default 20 000.
   */
  leaseMs?: number;
  /** How often a delivery waiting for another holder's claim looks again, ms. Default 250. */
  pollMs?: number;
  /**
   * How long a record is kept, ms: every write gives it `expiresAt` = now + this, after which the
   * store drops it and a redelivery of the event would run again — so keep it at least as long as
   * the bus keeps events. Must exceed `leaseMs`. Default 7 days (Kafka's default retention).
   */
  retentionMs?: number;
  /**
   * Who this process is: `id` stable across restarts of one replica (one process per id at a
   * time), `incarnation` new at every process start. A delivery that finds a `running` claim of
   * the same `id` and another incarnation takes it over at once — that incarnation is dead — while
   * other instances' claims still wait for their lease. Default: a random id (never takes over early).
   */
  instance?: { id: string; incarnation: string };
  log?: Logger;
  /** Clock, epoch ms (tests). */
  now?: () => number;
}

/**
 * Wraps `handler` so that an event id seen twice in a group has one effect. Per delivery:
 * claim (`<group>/<eventId>` created with expectedVersion 0, status `running` with a lease) →
 * run the handler → mark `done`. A delivery that finds the record `done` is acked without
 * running; one that finds a live claim waits for it to end (done → skip; lapsed → take over).
 * A handler that throws releases its claim, so the retry runs at once. A process that crashes
 * between claim and done leaves a claim that lapses after `leaseMs` (a live holder renews it while
 * the handler runs); the redelivery then runs
 * the handler again — the event is never lost, and the effect runs twice only if the crash came
 * after the effect but before `done` (make the effect itself idempotent where that matters, e.g.
 * an `expectedVersion` write). A restarted process with the same `instance.id` does not wait for
 * the lease of its own dead incarnation's claims, nor of its own claims it could not release
 * (the store was down when the handler failed). Marking `done` is retried through a store outage
 * until the claim's lease lapses. Records expire after `retentionMs`. Other store failures
 * propagate (the delivery is retried). Throws `invalid_argument` for a retention not
 * longer than the lease.
 */
export function createIdempotentHandler(
  options: IdempotentHandlerOptions,
  handler: EventHandler,
): EventHandler {
  const log = options.log ?? silentLogger;
  const leaseMs = options.leaseMs ?? 20_000;
  const pollMs = options.pollMs ?? 250;
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  if (!(retentionMs > leaseMs)) {
    throw AppError.invalidArgument(
      'retentionMs',
      `the dedupe retention (${retentionMs} ms) must be longer than the claim lease (${leaseMs} ms)`,
    );
  }
  const instance = options.instance ?? { id: crypto.randomUUID(), incarnation: crypto.randomUUID() };
  const owner = instance.incarnation;
  const records: Collection<ProcessedEvent> = options.store.collection<ProcessedEvent>(
    options.collection ?? 'processed-events',
  );

  const record = (status: ProcessedEvent['status'], topic: string, claims: number): ProcessedEvent => ({
    status,
    owner,
    instance: instance.id,
    incarnation: instance.incarnation,
    leaseUntil: status === 'running' ? now() + leaseMs : 0,
    claims,
    topic,
    updatedAt: new Date(now()).toISOString(),
  });

  /** The claim's version once this delivery holds it, or undefined when the event is already done. */
  // The store expires by the wall clock, whatever clock the leases run on.
  const expiry = (): Date => new Date(Date.now() + retentionMs);
  /** A claim of this instance by an earlier process start: that process is gone. */
  const isOrphaned = (claim: ProcessedEvent): boolean =>
    claim.instance === instance.id &&
    claim.incarnation !== undefined &&
    claim.incarnation !== instance.incarnation;
  /**
   * Claims of this process whose handler failed and whose release failed too (the store was
   * down): nobody runs them, so this process's retry takes them over at once instead of waiting
   * out its own lease.
   */
  const unreleased = new Set<string>();

  const claim = async (
    id: string,
    topic: string,
    signal: AbortSignal,
  ): Promise<Doc<ProcessedEvent> | undefined> => {
    for (;;) {
      const existing = await records.get(id, { signal });
      try {
        if (!existing)
          return await records.put(id, record('running', topic, 1), {
            expectedVersion: 0,
            expiresAt: expiry(),
            signal,
          });
        if (existing.data.status === 'done') return undefined;
        const waitMs = existing.data.leaseUntil - now();
        const orphaned = isOrphaned(existing.data) || (existing.data.owner === owner && unreleased.has(id));
        if (waitMs <= 0 || orphaned) {
          log.warn(
            orphaned
              ? "taking over a claim of this instance's previous incarnation"
              : 'taking over a lapsed claim',
            {
              id,
              previousOwner: existing.data.owner,
              ...(existing.data.instance ? { previousInstance: existing.data.instance } : {}),
            },
          );
          const claims = existing.data.claims + 1;
          const taken = await records.put(id, record('running', topic, claims), {
            expectedVersion: existing.version,
            expiresAt: expiry(),
            signal,
          });
          unreleased.delete(id);
          return taken;
        }
        await delay(Math.min(pollMs, waitMs), signal);
      } catch (error) {
        // Another delivery claimed or finished it between our read and write: look again.
        if (
          !isAppError(error, 'already_exists') &&
          !isAppError(error, 'aborted') &&
          !isAppError(error, 'not_found')
        )
          throw error;
      }
    }
  };

  /**
   * Keeps a held claim alive while its handler runs: renews the lease every quarter of it. A failed
   * renewal (the store restarting) is tried again at the next tick; a claim found taken over (the
   * holder overran its lease while it could not renew) is left to its new holder.
   */
  const holdClaim = (id: string, topic: string, claimed: Doc<ProcessedEvent>) => {
    let current = claimed;
    let lost = false;
    let renewing: Promise<void> = Promise.resolve();
    const renew = async () => {
      if (lost) return;
      try {
        current = await records.put(id, record('running', topic, current.data.claims), {
          expectedVersion: current.version,
          expiresAt: expiry(),
        });
      } catch (error) {
        if (isAppError(error, 'aborted') || isAppError(error, 'not_found')) {
          lost = true;
          log.warn('claim was taken over while its handler ran: it could not be renewed in time', {
            id,
            leaseMs,
          });
        } else {
          log.debug('could not renew a claim yet', { id, error: AppError.from(error).message });
        }
      }
    };
    const timer = setInterval(
      () => {
        renewing = renewing.then(renew);
      },
      Math.max(1, Math.floor(leaseMs / 4)),
    );
    timer.unref?.();
    return {
      /** Stops renewing; resolves with the claim's latest version once no renewal is in flight. */
      release: async (): Promise<Doc<ProcessedEvent>> => {
        clearInterval(timer);
        await renewing;
        return current;
      },
    };
  };

  return async (event, context) => {
    const id = `${context.group}/${event.id}`;
    const claimed = await claim(id, context.topic, context.signal);
    if (!claimed) {
      log.debug('skipping an event already handled', { id });
      return;
    }
    const held = holdClaim(id, context.topic, claimed);
    try {
      await handler(event, context);
    } catch (error) {
      const latest = await held.release();
      await records.delete(id, { expectedVersion: latest.version }).catch((releaseError: unknown) => {
        unreleased.add(id);
        log.warn(
          'could not release a claim; a retry here takes it over, elsewhere it lapses after the lease',
          {
            id,
            error: AppError.from(releaseError).message,
          },
        );
      });
      throw error;
    }
    const latest = await held.release();
    // The effect has happened: try hard to record it, since a retry of the delivery would run the
    // handler again. The claim is ours until its lease lapses, so a store outage (a restarting
    // MongoDB) is waited out that long; after it another delivery may take over anyway.
    for (let attempt = 1; ; attempt++) {
      try {
        await records.put(id, record('done', context.topic, latest.data.claims), {
          expectedVersion: latest.version,
          expiresAt: expiry(),
        });
        return;
      } catch (error) {
        if (isAppError(error, 'aborted') || isAppError(error, 'not_found')) {
          log.warn('claim was taken over before done: the handler ran longer than its lease', {
            id,
            leaseMs,
          });
          return;
        }
        if (!AppError.from(error).retriable || now() >= latest.data.leaseUntil || context.signal.aborted)
          throw error;
        if (attempt === 5)
          log.warn('could not record an event done yet; retrying until its lease lapses', { id });
        await delay(backoffMs(attempt, 100, 2000));
      }
    }
  };
}
