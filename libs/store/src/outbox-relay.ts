import { AppError, backoffMs, type Logger, silentLogger } from '@flywheel/core';
import { withDeadline } from './call-deadline.ts';
import type { DocumentStore, OutboxEntry } from './document-store.ts';

/**
 * Publishes entries durably (e.g. the event bus's publish, in order), resolving only when the
 * broker has them all; throwing means none count as published. Must honour `signal`.
 */
export type PublishOutbox = (
  entries: readonly OutboxEntry[],
  options: { signal: AbortSignal; timeoutMs: number },
) => Promise<void>;

export interface OutboxRelayOptions {
  store: DocumentStore;
  publish: PublishOutbox;
  log?: Logger;
  /** Poll for entries written by other processes this often when idle, ms. Default 1000. */
  intervalMs?: number;
  /** Entries per publish call, 1…10 000. Default 100. */
  batchSize?: number;
  /** Deadline of each store call and each publish, ms. Default 10 000. */
  timeoutMs?: number;
  /** Backoff after a failure: exponential with full jitter from `baseMs` up to `maxMs`. Default 100 → 30 000. */
  backoff?: { baseMs: number; maxMs: number };
}

export interface OutboxRelay {
  /** Starts relaying in the background. Idempotent. */
  start(): void;
  /** Looks for pending entries now instead of at the next poll (writes through the store call it). */
  wake(): void;
  /**
   * Stops: takes no new batch, lets the batch in flight finish for up to `timeoutMs` (default
   * 10 000), then aborts it; its entries stay pending and are published on the next start.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * The outbox relay: loops `pendingOutbox` → `publish` → `markRelayed`, backing off on failure,
 * waking as soon as a write through `store` adds entries, else polling every `intervalMs`.
 *
 * Delivery is at-least-once and survives restarts by construction: entries stay in their
 * documents until relayed, so a crash before `publish` (or after it but before `markRelayed`)
 * publishes them (again) on the next start — consumers dedupe by entry id. Two relays on one
 * store (two replicas) may each publish an entry; that is a duplicate, never a loss. A batch that
 * keeps failing is retried with backoff (capped at `backoff.maxMs`) and logged at `error`; it
 * holds back later entries, which keeps per-key order.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { store, publish } = options;
  const log = options.log ?? silentLogger;
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { baseMs, maxMs } = options.backoff ?? { baseMs: 100, maxMs: 30_000 };
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw AppError.invalidArgument(
      'batchSize',
      `must be a whole number from 1 to 10000, got ${String(batchSize)}`,
    );
  }

  let running: Promise<void> | undefined;
  let stopping = false;
  let abortInFlight = new AbortController();
  let woken = false;
  let wakeUp: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  /** Resolves after `ms`, or earlier on wake()/stop (when `wakeable`). */
  function pause(ms: number, wakeable: boolean): Promise<void> {
    if (stopping || (wakeable && woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = () => {
        if (wakeable || stopping) done();
      };
    });
  }

  async function relayBatch(): Promise<number> {
    const signal = abortInFlight.signal;
    const pending = await store.pendingOutbox({ limit: batchSize, timeoutMs, signal });
    if (pending.length === 0) return 0;
    await withDeadline({ signal }, timeoutMs, (publishSignal, publishTimeoutMs) =>
      publish(
        pending.map((p) => p.entry),
        { signal: publishSignal, timeoutMs: publishTimeoutMs },
      ),
    );
    // Published: from here on a crash means a duplicate, never a loss.
    await store.markRelayed(
      pending.map((p) => ({ collection: p.collection, docId: p.docId, entryId: p.entry.id })),
      { timeoutMs, signal },
    );
    log.debug('relayed outbox entries', { count: pending.length });
    return pending.length;
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      woken = false;
      let relayed: number;
      try {
        relayed = await relayBatch();
        failures = 0;
      } catch (error) {
        if (stopping) break;
        const appError = AppError.from(error);
        const waitMs = backoffMs(failures, baseMs, maxMs);
        failures += 1;
        const fields = { error: appError.message, code: appError.code, failures, retryInMs: waitMs };
        if (appError.retriable && failures < 5) log.warn('outbox relay failed; retrying', fields);
        else log.error('outbox relay keeps failing; retrying', fields);
        await pause(waitMs, false);
        continue;
      }
      if (relayed >= batchSize) continue; // probably more waiting
      await pause(intervalMs, true);
    }
  }

  return {
    start() {
      if (running) return;
      stopping = false;
      abortInFlight = new AbortController();
      unsubscribe = store.onOutboxWrite(wake);
      running = loop().catch((error: unknown) => {
        log.error('outbox relay loop crashed', { error: (error as Error).message });
      });
    },

    wake,

    async stop(stopOptions = {}) {
      const current = running;
      if (!current) return;
      stopping = true;
      unsubscribe?.();
      unsubscribe = undefined;
      wakeUp?.();
      const graceMs = stopOptions.timeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      if ((await Promise.race([current.then(() => 'done' as const), graceOver])) === 'timeout') {
        abortInFlight.abort(new AppError('cancelled', 'outbox relay stopped'));
        await current;
      }
      clearTimeout(timer);
      running = undefined;
    },
  };
}
