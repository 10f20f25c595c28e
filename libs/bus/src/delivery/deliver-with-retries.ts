import { AppError, backoffMs, delay, type Logger } from '@flywheel/core';
import { type CloudEvent, fromWireMessage, isCloudEventMessage, type WireMessage } from '@flywheel/events';
import type { SubscribeOptions } from '../event-bus.ts';
import { deadLetterMessage } from './dead-letter.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { rawRecordEvent } from './raw-record-event.ts';
import { decideNack, type RetryPolicy } from './retry-policy.ts';

/** Whether a subscription's `records` are read without the CloudEvents decoding being required. */
export function isRaw(records: SubscribeOptions['records']): records is 'raw' | 'any' {
  return records === 'raw' || records === 'any';
}

/** How a message left {@link deliverWithRetries}. */
export type DeliveryOutcome = 'acked' | 'dead-lettered' | 'handed-back';

export interface DeliverWithRetriesOptions {
  readonly topic: string;
  readonly group: string;
  readonly message: WireMessage;
  readonly policy: RetryPolicy;
  readonly queue: DeliveryQueue;
  /** Writes a message to `<topic>.dlq` durably, or throws. Retried with backoff until it succeeds or `closing` aborts. */
  readonly deadLetter: (message: WireMessage) => Promise<void>;
  /** Aborts when the subscription closes: no new attempt starts, the message is handed back. */
  readonly closing: AbortSignal;
  /**
   * Aborts when the adapter must let go of the message between attempts (Kafka: the group is
   * rebalancing and this member must rejoin): a backoff wait ends and the message is handed back,
   * uncommitted, for its next owner. Default: never.
   */
  readonly yielding?: AbortSignal;
  /** The attempt number of the first delivery made here (JetStream counts server redeliveries). Default 1. */
  readonly firstAttempt?: number;
  readonly log: Logger;
  /**
   * Set for a subscription with `records: 'raw'`: the message is not decoded as a CloudEvent but
   * wrapped as one ({@link rawRecordEvent}) with this position (`<partition>/<offset>`) in its id.
   */
  readonly rawPosition?: string;
  /** With `rawPosition`: `any` decodes a record that is a CloudEvent as one ({@link isCloudEventMessage}). Default `raw`. */
  readonly records?: 'raw' | 'any';
  /**
   * Wraps every wait (for the application, a backoff, a dead-letter write), e.g. to keep sending
   * heartbeats meanwhile (Kafka). Default: waits as is.
   */
  readonly whileWaiting?: <T>(work: Promise<T>) => Promise<T>;
  /** The subscription's {@link SubscribeOptions.onOutcome}. */
  readonly onOutcome?: SubscribeOptions['onOutcome'];
}

/**
 * Delivers one message through `queue` until it is settled — the one retry engine of every
 * adapter, so they all retry alike: decode (undecodable → DLQ at once), then attempt 1, 2… with
 * backoff on retriable nacks for the policy's budget (measured from the first attempt made here),
 * DLQ once the budget is spent or at once on a non-retriable nack. The caller holds the message
 * (and does not move past it) until this resolves, which keeps order per key.
 * Resolves `handed-back` when the subscription closes (or `yielding` aborts) first: the caller
 * must not commit it.
 */
export async function deliverWithRetries(options: DeliverWithRetriesOptions): Promise<DeliveryOutcome> {
  const { topic, group, message, policy, queue, closing, log } = options;
  let event: CloudEvent;
  try {
    event =
      options.rawPosition === undefined || (options.records === 'any' && isCloudEventMessage(message))
        ? fromWireMessage(message)
        : rawRecordEvent(message, topic, options.rawPosition);
  } catch (error) {
    const reason = `undecodable: ${AppError.from(error).message}`;
    log.warn('dead-lettering an undecodable message', { topic, group, reason });
    return (await writeDeadLetter(options, reason, 0)) ? deadLettered(options) : 'handed-back';
  }
  const startedAt = Date.now();
  for (let attempt = options.firstAttempt ?? 1; ; attempt += 1) {
    const settlement = await whileAlive(options, queue.deliver({ event, topic, group, attempt }));
    if (settlement === undefined) return 'handed-back';
    if (settlement.acked) {
      options.onOutcome?.(topic, 'ok');
      return 'acked';
    }
    const decision = decideNack(policy, attempt, Date.now() - startedAt, settlement.error);
    if (!decision.retry) {
      log.warn('dead-lettering an event', {
        topic,
        group,
        eventId: event.id,
        attempt,
        reason: decision.reason,
      });
      return (await writeDeadLetter(options, decision.reason, attempt))
        ? deadLettered(options)
        : 'handed-back';
    }
    options.onOutcome?.(topic, 'retried');
    const stop = options.yielding ? AbortSignal.any([closing, options.yielding]) : closing;
    if (stop.aborted) return 'handed-back';
    try {
      await whileAlive(options, delay(decision.delayMs, stop));
    } catch {
      return 'handed-back';
    }
  }
}

function deadLettered(options: DeliverWithRetriesOptions): 'dead-lettered' {
  options.onOutcome?.(options.topic, 'dead_lettered');
  return 'dead-lettered';
}

async function writeDeadLetter(
  options: DeliverWithRetriesOptions,
  reason: string,
  attempts: number,
): Promise<boolean> {
  const { topic, group, message, closing, log } = options;
  const letter = deadLetterMessage(message, { reason, topic, group, attempts });
  for (let failures = 0; ; failures += 1) {
    try {
      await whileAlive(options, options.deadLetter(letter));
      return true;
    } catch (error) {
      log.warn('dead-letter write failed; retrying', { topic, group, error: AppError.from(error).message });
      try {
        await delay(backoffMs(failures, 200, 5000), closing);
      } catch {
        return false;
      }
    }
  }
}

function whileAlive<T>(options: DeliverWithRetriesOptions, work: Promise<T>): Promise<T> {
  return options.whileWaiting ? options.whileWaiting(work) : work;
}
