import { AppError, backoffMs, deadlineSignal, delay, type Logger } from '@flywheel/core';
import { type CloudEvent, fromWireMessage, type WireMessage } from '@flywheel/events';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { deadLetterMessage } from '../delivery/dead-letter.ts';
import { DeliveryQueue } from '../delivery/delivery-queue.ts';
import { raceSignal } from '../delivery/race-signal.ts';
import { decideNack, retryPolicyOf } from '../delivery/retry-policy.ts';
import { dlqTopicOf, type SubscribeOptions, type Subscription } from '../event-bus.ts';
import { natsError } from './nats-errors.ts';
import { streamNameOf } from './nats-names.ts';
import { wireMessageOf } from './nats-wire.ts';

export interface NatsSubscriptionDeps {
  readonly log: Logger;
  readonly ackWaitMs: number;
  readonly closeTimeoutMs: number;
  /** The JetStream client of the bus's connection (connects lazily). */
  jetstream(): Promise<JetStreamClient>;
  /** Creates the streams of `topics` and their DLQs. */
  ensureTopics(topics: readonly string[], signal: AbortSignal): Promise<void>;
  /** Creates (or finds) the durable pull consumer of `group` on `topic`'s stream; returns its name. */
  ensureConsumer(topic: string, group: string, fromBeginning: boolean, signal: AbortSignal): Promise<string>;
  /** Sends what the connection has buffered (acks) to the server. */
  flush(): Promise<void>;
  /** Publishes a dead letter to `<topic>.dlq` and waits for JetStream's ack, or throws. */
  deadLetter(topic: string, message: WireMessage, signal: AbortSignal): Promise<void>;
  onClosed(subscription: Subscription): void;
}

/**
 * One member of a group on JetStream. Per topic it pulls from the group's durable consumer
 * (explicit ack) and hands each message to the iterator through the bounded queue. JetStream
 * does the redelivering: a retriable nack becomes `nak(backoff)`, the attempt is the server's
 * delivery count; a dead letter is published to the `.dlq` stream before `term()`. While the
 * application holds a message, `working()` keeps the server from redelivering it. A message
 * delivered more than `maxAttempts` times without being settled (crashes, ack-wait expiries) is
 * dead-lettered on arrival, which is why the consumer's own `max_deliver` is unlimited: the
 * server would drop the message silently, this sends it to the DLQ.
 */
export function startNatsSubscription(deps: NatsSubscriptionDeps, options: SubscribeOptions): Subscription {
  const { group, topics } = options;
  const log = deps.log.child({ group });
  const policy = retryPolicyOf(options);
  const concurrency = options.concurrency ?? 1;
  const closing = new AbortController();
  const queue = new DeliveryQueue(concurrency, () => subscription.close());
  const streams = new Set<ConsumerMessages>();
  const handling = new Set<Promise<void>>();
  let slots = concurrency;
  let slotWaiters: (() => void)[] = [];
  let readyCount = 0;
  let markReady: () => void = () => {};
  const allReady = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const deadLetter = async (
    topic: string,
    msg: JsMsg,
    wire: WireMessage,
    reason: string,
    attempts: number,
  ): Promise<void> => {
    log.warn('dead-lettering a message', { topic, seq: msg.seq, reason });
    const letter = deadLetterMessage(wire, { reason, topic, group, attempts });
    try {
      await deps.deadLetter(
        dlqTopicOf(topic),
        letter,
        AbortSignal.any([closing.signal, deadlineSignal({}, 30_000)]),
      );
      msg.term();
    } catch (error) {
      log.warn('dead-letter publish failed; the message comes back later', {
        topic,
        error: AppError.from(error).message,
      });
      msg.nak(backoffMs(attempts, 500, 10_000));
    }
  };

  const handle = async (topic: string, msg: JsMsg): Promise<void> => {
    const attempt = msg.info.deliveryCount;
    const wire = wireMessageOf(msg.data, msg.headers);
    let event: CloudEvent;
    try {
      event = fromWireMessage(wire);
    } catch (error) {
      return deadLetter(topic, msg, wire, `undecodable: ${AppError.from(error).message}`, 0);
    }
    if (attempt > policy.maxAttempts) {
      const reason = `internal: delivered ${attempt} times without being settled (gave up after ${policy.maxAttempts} attempts)`;
      return deadLetter(topic, msg, wire, reason, attempt - 1);
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(500, deps.ackWaitMs / 3));
    try {
      const settlement = await queue.deliver({ event, topic, group, attempt });
      if (settlement === undefined) return msg.nak();
      if (settlement.acked) return msg.ack();
      const decision = decideNack(policy, attempt, settlement.error);
      if (decision.retry && !closing.signal.aborted) return msg.nak(decision.delayMs);
      if (decision.retry) return msg.nak();
      return deadLetter(topic, msg, wire, decision.reason, attempt);
    } finally {
      clearInterval(keepAlive);
    }
  };

  /** Waits for one of `concurrency` handling slots; false once the subscription is closing. */
  const takeSlot = async (): Promise<boolean> => {
    while (slots === 0 && !closing.signal.aborted)
      await new Promise<void>((resolve) => slotWaiters.push(resolve));
    if (closing.signal.aborted) return false;
    slots -= 1;
    return true;
  };
  const releaseSlot = (): void => {
    slots += 1;
    slotWaiters.shift()?.();
  };

  const pump = async (topic: string): Promise<void> => {
    let counted = false;
    for (let failures = 0; !closing.signal.aborted; failures += 1) {
      try {
        const signal = AbortSignal.any([closing.signal, deadlineSignal({}, 60_000)]);
        await deps.ensureTopics([topic], signal);
        const durable = await deps.ensureConsumer(topic, group, options.fromBeginning ?? true, signal);
        const consumer = await (await deps.jetstream()).consumers.get(streamNameOf(topic), durable);
        const messages = await consumer.consume({ max_messages: concurrency });
        streams.add(messages);
        if (closing.signal.aborted) await messages.close();
        if (!counted) {
          counted = true;
          readyCount += 1;
          if (readyCount === topics.length) markReady();
        }
        failures = 0;
        for await (const msg of messages) {
          if (!(await takeSlot())) {
            msg.nak();
            break;
          }
          const work = handle(topic, msg).catch((error: unknown) => {
            log.warn('handling a nats message failed', { topic, error: AppError.from(error).message });
          });
          handling.add(work);
          void work.finally(() => {
            handling.delete(work);
            releaseSlot();
          });
        }
        streams.delete(messages);
      } catch (error) {
        if (closing.signal.aborted) return;
        log.warn('nats consumer failed; retrying', { topic, error: natsError(error, 'consuming').message });
      }
      if (closing.signal.aborted) return;
      await delay(backoffMs(failures, 500, 10_000), closing.signal).catch(() => {});
    }
  };

  const pumps = topics.map((topic) => pump(topic));

  const shutdown = async (): Promise<void> => {
    closing.abort(new AppError('cancelled', 'subscription closed'));
    queue.close();
    await Promise.all([...streams].map((messages) => messages.close().catch(() => undefined)));
    for (const wake of slotWaiters.splice(0)) wake();
    slotWaiters = [];
    await queue.drain(deps.closeTimeoutMs);
    await Promise.all(handling);
    await Promise.all(pumps);
    await deps.flush().catch((error: unknown) => {
      log.warn('nats acks may not have reached the server; those messages come again', {
        error: AppError.from(error).message,
      });
    });
    deps.onClosed(subscription);
  };

  let closed: Promise<void> | undefined;
  const subscription: Subscription = {
    [Symbol.asyncIterator]: () => queue,
    ready: (callOptions = {}) =>
      raceSignal(deadlineSignal(callOptions, 30_000), allReady, `nats: binding consumer ${group}`),
    close: () => {
      closed ??= shutdown();
      return closed;
    },
  };
  return subscription;
}
