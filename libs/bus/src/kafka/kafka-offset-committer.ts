import { AppError, type Logger } from '@flywheel/core';
import type { Consumer } from 'kafkajs';

/** topic → partition → last settled offset (Kafka commits the one after it). */
type Settled = Map<string, Map<number, string>>;

/** Errors after which an offset belongs to another member or generation: retrying is pointless. */
const lostOwnership = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
]);

/**
 * Commits the settled offsets of one consumer, coalesced: `mark` records the last settled offset
 * of a partition, a flush at most every `intervalMs` commits the one after it for each partition,
 * and `flush()` commits now (on close, before a rebalance). A commit that fails for a transient
 * reason is retried with the next flush; one rejected because the partition moved on is dropped
 * (the new owner redelivers — at-least-once).
 */
export class KafkaOffsetCommitter {
  readonly #consumer: Consumer;
  readonly #intervalMs: number;
  readonly #log: Logger;
  #pending: Settled = new Map();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #stopped = false;

  constructor(consumer: Consumer, intervalMs: number, log: Logger) {
    this.#consumer = consumer;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  /** Records that `offset` of the partition is settled (acked or dead-lettered); call in offset order per partition. */
  mark(topic: string, partition: number, offset: string): void {
    let partitions = this.#pending.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.#pending.set(topic, partitions);
    }
    partitions.set(partition, offset);
    this.#schedule();
  }

  /** Commits everything marked so far; never throws. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#commit(batch).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }

  /** Stops the timer; what is still marked is dropped unless flushed first. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#intervalMs);
  }

  async #commit(batch: Settled): Promise<void> {
    const offsets = [...batch].flatMap(([topic, partitions]) =>
      [...partitions].map(([partition, settled]) => ({
        topic,
        partition,
        offset: (BigInt(settled) + 1n).toString(),
      })),
    );
    try {
      await this.#consumer.commitOffsets(offsets);
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      const message = AppError.from(error).message;
      if (typeof type === 'string' && lostOwnership.has(type)) {
        this.#log.debug('kafka offsets not committed: the partitions moved on', { error: message });
        return;
      }
      this.#log.warn('kafka offset commit failed; retrying with the next flush', { error: message });
      for (const [topic, partitions] of batch) {
        for (const [partition, settled] of partitions) {
          if (this.#pending.get(topic)?.has(partition) !== true) this.mark(topic, partition, settled);
        }
      }
      this.#schedule();
    }
  }
}
