import { AppError, type Logger } from '@flywheel/core';
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { unavailableOnDeadline } from '../delivery/race-signal.ts';
import { kafkaError } from './kafka-errors.ts';

/** One record for one topic. */
export interface KafkaRecord {
  readonly topic: string;
  readonly message: Message;
}

export interface KafkaPublisherOptions {
  /** The connected idempotent producer (connects lazily, rejects when it cannot). */
  readonly producer: () => Promise<Producer>;
  /** Broker-side timeout of one produce request, ms. */
  readonly requestTimeoutMs: number;
  /** Calls are coalesced into one `sendBatch` up to this many value bytes. */
  readonly maxBatchBytes: number;
  /** Records waiting to be sent beyond which `send` fails fast with `unavailable`. */
  readonly maxQueuedRecords: number;
  readonly log: Logger;
}

interface PendingSend {
  readonly records: readonly KafkaRecord[];
  readonly bytes: number;
  settled: boolean;
  settle(error?: AppError): void;
}

/**
 * Sends records through one idempotent producer, one `sendBatch` at a time: calls that arrive
 * while a batch is in flight are queued and coalesced (grouped by topic, order kept) into the next
 * one. Never two requests in flight means kafkajs's sequence numbers cannot be reused by a second
 * batch while the first is being retried, which is what keeps the idempotent producer exactly-once
 * per partition and order per key intact across broker failures.
 */
export class KafkaPublisher {
  readonly #options: KafkaPublisherOptions;
  #queue: PendingSend[] = [];
  #queuedRecords = 0;
  #running: Promise<void> | undefined;

  constructor(options: KafkaPublisherOptions) {
    this.#options = options;
  }

  /**
   * Resolves once Kafka acknowledged every record (acks=all). When `signal` aborts first: records
   * not sent yet are dropped and the call rejects; records in flight may still be written. A
   * deadline becomes `unavailable` (retriable); a caller's cancellation stays `cancelled`.
   */
  send(records: readonly KafkaRecord[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(failureOf(signal));
    if (records.length === 0) return Promise.resolve();
    if (this.#queuedRecords + records.length > this.#options.maxQueuedRecords) {
      return Promise.reject(
        new AppError(
          'unavailable',
          `kafka: ${this.#queuedRecords} records are already waiting to be sent; try again later`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => pending.settle(failureOf(signal));
      const pending: PendingSend = {
        records,
        bytes: records.reduce((sum, record) => sum + byteLength(record.message), 0),
        settled: false,
        settle: (error) => {
          if (pending.settled) return;
          pending.settled = true;
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve();
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(pending);
      this.#queuedRecords += records.length;
      this.#running ??= this.#drain().finally(() => {
        this.#running = undefined;
      });
    });
  }

  /** Resolves when nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#nextBatch();
      if (batch.length === 0) continue;
      const failure = await this.#send(batch);
      if (failure?.code === 'permission_denied' && batch.length > 1) {
        // The ACLs refused one of the coalesced calls' topics: each call gets its own answer, so
        // an allowed call is not failed by its neighbour. Resending what the broker may already
        // have appended is safe: the idempotent producer resends the same sequence numbers.
        for (const pending of batch) {
          if (!pending.settled) this.#settle([pending], await this.#send([pending]));
        }
      } else this.#settle(batch, failure);
    }
  }

  /** Sends `batch` in one request; resolves the mapped failure (naming its topics) or undefined. */
  async #send(batch: readonly PendingSend[]): Promise<AppError | undefined> {
    const topicMessages = byTopic(batch);
    try {
      const producer = await this.#options.producer();
      await producer.sendBatch({ topicMessages, acks: -1, timeout: this.#options.requestTimeoutMs });
      return undefined;
    } catch (error) {
      return kafkaError(error, `publish to ${topicMessages.map(({ topic }) => topic).join(', ')}`);
    }
  }

  #settle(batch: readonly PendingSend[], failure: AppError | undefined): void {
    if (failure)
      this.#options.log.warn('kafka publish failed', { records: batch.length, error: failure.message });
    for (const pending of batch) pending.settle(failure);
  }

  #nextBatch(): PendingSend[] {
    const batch: PendingSend[] = [];
    let bytes = 0;
    while (this.#queue.length > 0) {
      const pending = this.#queue[0]!;
      if (!pending.settled && batch.length > 0 && bytes + pending.bytes > this.#options.maxBatchBytes) break;
      this.#queue.shift();
      this.#queuedRecords -= pending.records.length;
      if (pending.settled) continue;
      batch.push(pending);
      bytes += pending.bytes;
    }
    return batch;
  }
}

function byTopic(batch: readonly PendingSend[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const pending of batch) {
    for (const { topic, message } of pending.records) {
      let messages = topics.get(topic);
      if (!messages) {
        messages = [];
        topics.set(topic, messages);
      }
      messages.push(message);
    }
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function byteLength(message: Message): number {
  const value = message.value;
  return (typeof value === 'string' ? Buffer.byteLength(value) : (value?.byteLength ?? 0)) + 64;
}

function failureOf(signal: AbortSignal): AppError {
  return unavailableOnDeadline(signal, 'kafka: publish (not acknowledged)');
}
