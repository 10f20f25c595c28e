import type { CloudEvent } from '@flywheel/events';
import type { Delivery } from '../event-bus.ts';

/** How the application settled a delivery. */
export type Settlement = { readonly acked: true } | { readonly acked: false; readonly error: unknown };

/** What an adapter hands to the queue: the delivery without its settle functions. */
export interface DeliveryInput {
  readonly event: CloudEvent;
  readonly topic: string;
  readonly group: string;
  readonly attempt: number;
}

interface Item {
  readonly delivery: Delivery;
  done: boolean;
  resolve(settlement: Settlement | undefined): void;
}

/**
 * The bounded hand-over between an adapter's fetch loop and a subscription's async iterator.
 * Capacity counts unsettled deliveries (queued + taken by the application), so a fetch loop that
 * calls {@link deliver} waits for room: backpressure reaches the broker client.
 */
export class DeliveryQueue implements AsyncIterableIterator<Delivery> {
  readonly #capacity: number;
  readonly #onReturn: () => Promise<void>;
  #unsettled = 0;
  #closed = false;
  #ready: Item[] = [];
  readonly #taken = new Set<Item>();
  #takers: ((result: IteratorResult<Delivery>) => void)[] = [];
  #roomWaiters: (() => void)[] = [];
  #drained: (() => void) | undefined;

  /** `onReturn` runs when the consumer leaves its `for await` loop early (it closes the subscription). */
  constructor(capacity: number, onReturn: () => Promise<void>) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#onReturn = onReturn;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for room, queues the delivery and resolves with its settlement — or with undefined
   * when the queue closed first (not taken yet, or not settled within the drain time): the
   * delivery is handed back, uncommitted, for redelivery.
   */
  async deliver(input: DeliveryInput): Promise<Settlement | undefined> {
    while (!this.#closed && this.#unsettled >= this.#capacity) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
    if (this.#closed) return undefined;
    this.#unsettled += 1;
    return new Promise<Settlement | undefined>((resolve) => {
      const item: Item = {
        done: false,
        resolve,
        delivery: {
          event: input.event,
          topic: input.topic,
          group: input.group,
          attempt: input.attempt,
          ack: async () => this.#settle(item, { acked: true }),
          nack: async (error: unknown) => this.#settle(item, { acked: false, error }),
        },
      };
      const taker = this.#takers.shift();
      if (taker) {
        this.#taken.add(item);
        taker({ value: item.delivery, done: false });
      } else {
        this.#ready.push(item);
      }
    });
  }

  next(): Promise<IteratorResult<Delivery>> {
    const item = this.#ready.shift();
    if (item) {
      this.#taken.add(item);
      return Promise.resolve({ value: item.delivery, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#takers.push(resolve));
  }

  async return(): Promise<IteratorResult<Delivery>> {
    await this.#onReturn();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Delivery> {
    return this;
  }

  /**
   * Stops taking deliveries: queued ones are handed back, pending `next()` calls end the
   * iteration, waiting `deliver` calls resolve undefined. Deliveries already taken stay open
   * until settled or {@link drain} gives up on them.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const item of this.#ready.splice(0)) this.#finish(item, undefined);
    for (const taker of this.#takers.splice(0)) taker({ value: undefined, done: true });
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  /** Waits until every taken delivery is settled, at most `timeoutMs`; then hands the rest back. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#taken.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#drained = undefined;
    }
    for (const item of [...this.#taken]) this.#finish(item, undefined);
  }

  #settle(item: Item, settlement: Settlement): void {
    if (item.done) return;
    this.#finish(item, settlement);
  }

  #finish(item: Item, settlement: Settlement | undefined): void {
    if (item.done) return;
    item.done = true;
    this.#taken.delete(item);
    this.#unsettled -= 1;
    this.#roomWaiters.shift()?.();
    item.resolve(settlement);
    if (this.#taken.size === 0) this.#drained?.();
  }
}
