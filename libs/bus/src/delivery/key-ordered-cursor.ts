import { abortError } from '@flywheel/core';

/** One retained message of an in-process topic. */
export interface LogEntry<M> {
  readonly offset: number;
  readonly key: string;
  readonly message: M;
}

/**
 * A consumer group's position on one in-process topic: the unsettled entries, queued per key.
 * Members take a key whose head is free, deliver it, and release it; the next entry of that key
 * becomes available only after the head is settled, so events of a key are handled one at a time
 * and in order while different keys go to different members in parallel. Settled entries are
 * forgotten, which is what committing means here; handed-back entries stay at the head.
 */
export class KeyOrderedCursor<M> {
  readonly #queues = new Map<string, LogEntry<M>[]>();
  readonly #busy = new Set<string>();
  #ready: string[] = [];
  #waiters: (() => void)[] = [];

  /** Entries appended and not yet settled. */
  get pending(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }

  append(entry: LogEntry<M>): void {
    const queue = this.#queues.get(entry.key);
    if (queue) {
      queue.push(entry);
      return;
    }
    this.#queues.set(entry.key, [entry]);
    if (!this.#busy.has(entry.key)) this.#makeReady(entry.key, false);
  }

  /** Waits for an entry whose key is free and takes it (its key becomes busy). Rejects when `signal` aborts. */
  async take(signal: AbortSignal): Promise<LogEntry<M>> {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      const key = this.#ready.shift();
      if (key !== undefined) {
        this.#busy.add(key);
        return this.#queues.get(key)![0]!;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
          resolve();
        };
        this.#waiters.push(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Frees the entry's key: `settled` forgets the entry; otherwise it is handed back and redelivered first. */
  release(entry: LogEntry<M>, settled: boolean): void {
    this.#busy.delete(entry.key);
    const queue = this.#queues.get(entry.key)!;
    if (settled) queue.shift();
    if (queue.length === 0) {
      this.#queues.delete(entry.key);
      return;
    }
    this.#makeReady(entry.key, !settled);
  }

  #makeReady(key: string, first: boolean): void {
    if (first) this.#ready.unshift(key);
    else this.#ready.push(key);
    this.#waiters.shift()?.();
  }
}
