import { AppError, backoffMs, deadlineSignal, delay, type Logger } from '@flywheel/core';
import type { WireMessage } from '@flywheel/events';
import type { Consumer, EachMessagePayload, Kafka, RetryOptions } from 'kafkajs';
import { deliverWithRetries, isRaw } from '../delivery/deliver-with-retries.ts';
import { DeliveryQueue } from '../delivery/delivery-queue.ts';
import { raceSignal } from '../delivery/race-signal.ts';
import { retryPolicyOf } from '../delivery/retry-policy.ts';
import { dlqTopicOf, type SubscribeOptions, type Subscription } from '../event-bus.ts';
import type { TopicNamespace } from '../topic-names.ts';
import { kafkaError } from './kafka-errors.ts';
import { KafkaOffsetCommitter } from './kafka-offset-committer.ts';
import { wireMessageOf } from './kafka-wire.ts';

/** Consumer settings of the Kafka adapter, defaults applied (see KafkaBusOptions). */
export interface KafkaConsumerSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly commitIntervalMs: number;
  readonly closeTimeoutMs: number;
  readonly retryBudgetMs: number;
  readonly retry: RetryOptions;
}

export interface KafkaSubscriptionDeps {
  /** A client of the cluster whose log lines' `error`s go to `onError` (see kafkaLogCreator). */
  kafkaFor(onError: (error: string) => void): Kafka;
  readonly settings: KafkaConsumerSettings;
  readonly log: Logger;
  /** Where the topics live on the broker: the consumer reads `physical` names, deliveries report `logical` ones. */
  readonly names: TopicNamespace;
  /** Creates the topics and their DLQs (the bus's admin client); takes topics without the prefix. */
  ensureTopics(topics: readonly string[], signal: AbortSignal): Promise<void>;
  /** Produces a dead letter to `topic` (without the prefix) durably through the bus's producer, or throws. */
  deadLetter(topic: string, message: WireMessage, signal: AbortSignal): Promise<void>;
  /** Called once the subscription has closed. */
  onClosed(subscription: Subscription): void;
}

/**
 * One Kafka consumer-group member behind the Subscription port. `eachMessage` hands each record
 * to the iterator through a bounded queue and returns only once it is settled, so a partition
 * never moves past an unsettled record (order per key, retries in place); `autoCommit` is off
 * and the committer commits offset+1 of what was acked or dead-lettered. kafkajs restarts its
 * consumer by itself after retriable crashes; after a non-retriable crash, or when connecting
 * fails, this loop builds a new consumer with backoff until the subscription closes.
 */
export function startKafkaSubscription(deps: KafkaSubscriptionDeps, options: SubscribeOptions): Subscription {
  const { settings, log: baseLog } = deps;
  const { group, topics } = options;
  const physicalTopics = topics.map(deps.names.physical);
  const log = baseLog.child({ group });
  // The broker's authorizer refusing this member: set until it joins, so ready() fails at once with
  // it instead of waiting out its deadline as `unavailable`. The member goes on retrying (the ACLs
  // may be granted meanwhile).
  let refusal: AppError | undefined;
  const refusalWaiters = new Set<(error: AppError) => void>();
  let groupRefused = false;
  const kafka = deps.kafkaFor((error) => {
    if (error.startsWith('Not authorized to access group')) groupRefused = true;
  });
  const refuse = (error: unknown): void => {
    const refused = groupRefused
      ? new AppError(
          'permission_denied',
          `kafka: consumer group ${group} refused: the broker's ACLs do not let this principal use it (see scripts/kafka-acls.ts)`,
          { cause: error, retriable: false },
        )
      : kafkaError(error, `reading topics ${physicalTopics.join(', ')} in group ${group}`);
    if (refused.code !== 'permission_denied') return;
    if (refusal?.message !== refused.message) log.error('kafka consumer refused', { error: refused.message });
    refusal = refused;
    for (const waiter of refusalWaiters) waiter(refused);
  };
  const policy = retryPolicyOf(options, settings.retryBudgetMs);
  const concurrency = options.concurrency ?? 1;
  const closing = new AbortController();
  const queue = new DeliveryQueue(concurrency, () => subscription.close());
  let current: { consumer: Consumer; committer: KafkaOffsetCommitter } | undefined;
  let active = 0;
  let idle: (() => void) | undefined;
  let rebalancing = false;
  // Aborted when a heartbeat says the group is rebalancing: events waiting out a retry backoff are
  // handed back at once (uncommitted) so that this member can rejoin in time instead of being
  // thrown out of its group; a new one is made when the member has rejoined.
  let yielding = new AbortController();
  // Heartbeats of the eachMessage calls waiting for the application (or a backoff): one timer
  // beats them all, so a slow handler or a partition retrying through an outage for minutes does
  // not get this member thrown out of its group.
  const waiting = new Set<() => Promise<void>>();
  const beating = setInterval(() => {
    for (const beat of waiting) {
      beat().catch((error: unknown) => {
        rebalancing = true;
        yielding.abort();
        log.debug('kafka heartbeat failed', { error: AppError.from(error).message });
      });
    }
  }, settings.heartbeatIntervalMs);
  beating.unref();
  let markReady: () => void = () => {};
  const readiness = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const seekBack = (consumer: Consumer, topic: string, partition: number, offset: string): void => {
    try {
      consumer.seek({ topic, partition, offset });
    } catch (error) {
      log.debug('kafka seek failed; the partition moved on', { error: AppError.from(error).message });
    }
  };

  const eachMessage = async ({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> => {
    const member = current;
    if (closing.signal.aborted || !member) return;
    active += 1;
    try {
      const outcome = await deliverWithRetries({
        topic: deps.names.logical(topic),
        group,
        message: wireMessageOf(message),
        ...(isRaw(options.records)
          ? { rawPosition: `${partition}/${message.offset}`, records: options.records }
          : {}),
        policy,
        queue,
        ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
        closing: closing.signal,
        yielding: yielding.signal,
        log,
        deadLetter: (letter) =>
          deps.deadLetter(dlqTopicOf(deps.names.logical(topic)), letter, closing.signal),
        whileWaiting: async (work) => {
          waiting.add(heartbeat);
          try {
            return await work;
          } finally {
            waiting.delete(heartbeat);
          }
        },
      });
      if (outcome === 'handed-back') {
        // Yielded to a rebalance: kafkajs must not go on to the next record of this partition,
        // and if the partition stays ours it fetches this record again.
        if (!closing.signal.aborted) seekBack(member.consumer, topic, partition, message.offset);
        return;
      }
      member.committer.mark(topic, partition, message.offset);
      if (rebalancing) {
        rebalancing = false;
        await member.committer.flush();
      }
    } finally {
      active -= 1;
      if (active === 0) idle?.();
    }
  };

  const runMember = async (failures: number): Promise<number> => {
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      maxWaitTimeInMs: settings.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      retry: settings.retry,
    });
    const committer = new KafkaOffsetCommitter(consumer, settings.commitIntervalMs, log);
    current = { consumer, committer };
    let crashed: (error: unknown) => void = () => {};
    const crash = new Promise<unknown>((resolve) => {
      crashed = resolve;
    });
    // Ready once joined and, if partitions were assigned, fetched from them once: only then are a
    // new group's start offsets resolved, so `fromBeginning: false` means "after ready()".
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      failures = 0;
      joined = true;
      refusal = undefined;
      if (yielding.signal.aborted) yielding = new AbortController();
      if (Object.values(payload.memberAssignment).every((partitions) => partitions.length === 0)) markReady();
    });
    consumer.on(consumer.events.FETCH, () => {
      if (joined) markReady();
    });
    consumer.on(consumer.events.REBALANCING, () => {
      yielding.abort();
      void committer.flush();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart)
        log.warn('kafka consumer crashed; kafkajs restarts it', { error: payload.error.message });
      else {
        refuse(payload.error);
        crashed(payload.error);
      }
    });
    groupRefused = false;
    try {
      await deps.ensureTopics(topics, AbortSignal.any([closing.signal, deadlineSignal({}, 60_000)]));
      await consumer.connect();
      await consumer.subscribe({ topics: physicalTopics, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: concurrency, eachMessage });
      const closed = new Promise((resolve) =>
        closing.signal.addEventListener('abort', resolve, { once: true }),
      );
      const error = await Promise.race([crash, closed]);
      if (closing.signal.aborted) return failures;
      log.warn('kafka consumer stopped after a non-retriable error; starting a new one', {
        error: AppError.from(error).message,
      });
    } catch (error) {
      if (closing.signal.aborted) return failures;
      refuse(error);
      log.warn('kafka consumer could not start; retrying', { error: AppError.from(error).message });
    }
    committer.stop();
    await consumer.disconnect().catch(() => {});
    return failures + 1;
  };

  const running = (async () => {
    for (let failures = 0; !closing.signal.aborted; ) {
      failures = await runMember(failures);
      if (closing.signal.aborted) return;
      await delay(backoffMs(failures, 500, 10_000), closing.signal).catch(() => {});
    }
  })();

  const shutdown = async (): Promise<void> => {
    closing.abort(new AppError('cancelled', 'subscription closed'));
    queue.close();
    const member = current;
    try {
      member?.consumer.pause(physicalTopics.map((topic) => ({ topic })));
    } catch {
      // not running yet: nothing is being fetched
    }
    await queue.drain(settings.closeTimeoutMs);
    if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
    if (member) {
      await member.committer.flush();
      await member.committer.flush();
      member.committer.stop();
      await member.consumer.disconnect().catch((error: unknown) => {
        log.warn('kafka consumer did not disconnect cleanly', { error: AppError.from(error).message });
      });
    }
    await running;
    clearInterval(beating);
    deps.onClosed(subscription);
  };

  let closed: Promise<void> | undefined;
  const subscription: Subscription = {
    [Symbol.asyncIterator]: () => queue,
    ready: async (callOptions = {}) => {
      if (refusal) throw refusal;
      let waiter: (error: AppError) => void = () => {};
      const refused = new Promise<never>((_, reject) => {
        waiter = reject;
        refusalWaiters.add(waiter);
      });
      try {
        await raceSignal(
          deadlineSignal(callOptions, 30_000),
          Promise.race([readiness, refused]),
          `kafka: joining group ${group}`,
        );
      } finally {
        refusalWaiters.delete(waiter);
      }
    },
    close: () => {
      closed ??= shutdown();
      return closed;
    },
  };
  return subscription;
}
