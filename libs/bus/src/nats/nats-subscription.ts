import { AppError, backoffMs, deadlineSignal, delay, type Logger } from '@flywheel/core';
import type { WireMessage } from '@flywheel/events';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { deadLetterMessage } from '../delivery/dead-letter.ts';
import { deliverWithRetries, isRaw } from '../delivery/deliver-with-retries.ts';
import { DeliveryQueue } from '../delivery/delivery-queue.ts';
import { raceSignal } from '../delivery/race-signal.ts';
import { retryPolicyOf } from '../delivery/retry-policy.ts';
import { dlqTopicOf, type SubscribeOptions, type Subscription } from '../event-bus.ts';
import { natsError } from './nats-errors.ts';
import { wireMessageOf } from './nats-wire.ts';

export interface NatsSubscriptionDeps {
  readonly log: Logger;
  readonly ackWaitMs: number;
  readonly closeTimeoutMs: number;
  /** Retry budget of subscriptions that set none, ms. */
  readonly retryBudgetMs: number;
  /** The JetStream client of the bus's connection (connects lazily). */
  jetstream(): Promise<JetStreamClient>;
  /** Creates the streams of `topics` and their DLQs. */
  ensureTopics(topics: readonly string[], signal: AbortSignal): Promise<void>;
  /** Creates (or finds) the durable pull consumer of `group` on `topic`'s stream; returns the stream's name and its. */
  ensureConsumer(
    topic: string,
    group: string,
    fromBeginning: boolean,
    signal: AbortSignal,
  ): Promise<{ stream: string; durable: string }>;
  /** Sends what the connection has buffered (acks) to the server. */
  flush(): Promise<void>;
  /** Publishes a dead letter to `<topic>.dlq` and waits for JetStream's ack, or throws. */
  deadLetter(topic: string, message: WireMessage, signal: AbortSignal): Promise<void>;
  onClosed(subscription: Subscription): void;
}

/**
 * JetStream deliveries of one message that never ended settled (the member died holding it, or
 * closed and handed it back) after which it is dead-lettered on arrival: a message that kills
 * every process handling it must not loop forever. Retries inside one delivery do not count.
 */
export const maxUnsettledDeliveries = 20;

/**
 * One member of a group on JetStream. Per topic it pulls from the group's durable consumer
 * (explicit ack) and hands each message to the iterator through the bounded queue. Retries
 * happen in place, through the same engine as the other adapters ({@link deliverWithRetries}):
 * the member holds the message — `working()` keeps resetting the server's ack wait — and
 * delivers it again after backoff until it is acked, its retry budget (wall-clock from the first
 * attempt) is spent, or it fails for good; then a dead letter is published to the `.dlq` stream
 * before `term()`. With `max_ack_pending: 1` the held message keeps the ones after it back, as
 * a Kafka partition does. The attempt number starts at the server's delivery count. `nak()` only
 * hands a message back on close. The consumer's own `max_deliver` is unlimited — the server would
 * drop a message silently — and a message delivered {@link maxUnsettledDeliveries} times without
 * being settled goes to the DLQ instead.
 */
export function startNatsSubscription(deps: NatsSubscriptionDeps, options: SubscribeOptions): Subscription {
  const { group, topics } = options;
  const log = deps.log.child({ group });
  const policy = retryPolicyOf(options, deps.retryBudgetMs);
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
  // A refusal that waiting does not cure (the server's permissions, the user, the CA) fails
  // `ready()` at once instead of letting it wait out its deadline; the pump goes on trying with
  // backoff all the same (the permission may be granted meanwhile).
  let refuseReady: (error: AppError) => void = () => {};
  const refused = new Promise<never>((_, reject) => {
    refuseReady = reject;
  });
  refused.catch(() => {});

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
      options.onOutcome?.(topic, 'dead_lettered');
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
    if (attempt > maxUnsettledDeliveries) {
      const reason = `internal: delivered ${attempt} times without being settled (the handling process died or closed each time)`;
      return deadLetter(topic, msg, wire, reason, attempt - 1);
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(500, deps.ackWaitMs / 3));
    try {
      const outcome = await deliverWithRetries({
        topic,
        group,
        message: wire,
        ...(isRaw(options.records) ? { rawPosition: String(msg.seq), records: options.records } : {}),
        policy,
        queue,
        ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
        closing: closing.signal,
        log,
        firstAttempt: attempt,
        deadLetter: (letter) =>
          deps.deadLetter(
            dlqTopicOf(topic),
            letter,
            AbortSignal.any([closing.signal, deadlineSignal({}, 30_000)]),
          ),
      });
      if (outcome === 'acked') msg.ack();
      else if (outcome === 'dead-lettered') msg.term();
      else msg.nak();
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
        const { stream, durable } = await deps.ensureConsumer(
          topic,
          group,
          options.fromBeginning ?? true,
          signal,
        );
        const consumer = await (await deps.jetstream()).consumers.get(stream, durable);
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
        const failure = natsError(error, `consuming ${topic} in group ${group}`);
        if (!failure.retriable) refuseReady(failure);
        log.warn('nats consumer failed; retrying', { topic, error: failure.message });
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
      raceSignal(
        deadlineSignal(callOptions, 30_000),
        Promise.race([allReady, refused]),
        `nats: binding consumer ${group}`,
      ),
    close: () => {
      closed ??= shutdown();
      return closed;
    },
  };
  return subscription;
}
