import { AppError, type CallOptions, type Logger, silentLogger, throwIfAborted } from '@flywheel/core';
import { toWireMessage, type WireMessage } from '@flywheel/events';
import { deliverWithRetries, isRaw } from '../delivery/deliver-with-retries.ts';
import { DeliveryQueue } from '../delivery/delivery-queue.ts';
import { KeyOrderedCursor, type LogEntry } from '../delivery/key-ordered-cursor.ts';
import { defaultRetryBudgetMs, retryPolicyOf } from '../delivery/retry-policy.ts';
import {
  assertBusOpen,
  dlqTopicOf,
  type EventBus,
  type SubscribeOptions,
  type Subscription,
  withDlqTopics,
} from '../event-bus.ts';
import { tracePublish } from '../messaging-spans.ts';
import {
  assertPublishable,
  assertSubscribable,
  assertTopicName,
  assertTopicNames,
  topicNamespace,
} from '../topic-names.ts';

export interface MemoryBusOptions {
  log?: Logger;
  /** Messages each topic retains for groups that join later `fromBeginning`. Default 100 000. */
  retainPerTopic?: number;
  /** How long closing a subscription waits for taken deliveries to be settled, ms. Default 30 000. */
  closeTimeoutMs?: number;
  /** Retry budget of subscriptions that set none (see SubscribeOptions.retryBudgetMs), ms. Default 15 min. */
  retryBudgetMs?: number;
  /** Put before every topic name it keeps (`staging.` → `staging.<type>`, see topicNamespace). Default none. */
  topicPrefix?: string;
}

/** The embedded bus, plus what an operator of embedded mode needs: raw access to a topic. */
export interface MemoryBus extends EventBus {
  /**
   * Appends messages as a broker client would send them (undecodable ones included) to `topic`,
   * named as the broker names it (with the topic prefix, like `retained`); tests use it.
   */
  publishWire(topic: string, messages: readonly WireMessage[]): Promise<void>;
  /** The messages a topic retains, oldest first, by its broker name: e.g. what sits in `<prefix><topic>.dlq`. */
  retained(topic: string): readonly WireMessage[];
}

interface Topic {
  readonly name: string;
  entries: LogEntry<WireMessage>[];
  nextOffset: number;
  readonly cursors: Map<string, KeyOrderedCursor<WireMessage>>;
}

/**
 * The in-process event bus of embedded mode — a product feature, not a test double: topics are
 * logs retained in memory, consumer groups keep their position across subscriptions (what a
 * group settled is not delivered to it again), events of one key are delivered in order and one
 * at a time while other keys proceed, nacks are retried with backoff and end in `<topic>.dlq`.
 * State lives as long as the bus object: a process restart starts empty.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const log = options.log ?? silentLogger;
  const retain = options.retainPerTopic ?? 100_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  const retryBudgetMs = options.retryBudgetMs ?? defaultRetryBudgetMs;
  const names = topicNamespace(options.topicPrefix);
  const topics = new Map<string, Topic>();
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const topicOf = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = { name, entries: [], nextOffset: 0, cursors: new Map() };
      topics.set(name, topic);
    }
    return topic;
  };

  const append = (name: string, message: WireMessage): void => {
    const topic = topicOf(name);
    const entry: LogEntry<WireMessage> = { offset: topic.nextOffset++, key: message.key ?? '', message };
    topic.entries.push(entry);
    if (topic.entries.length > retain + Math.ceil(retain / 10)) topic.entries = topic.entries.slice(-retain);
    for (const cursor of topic.cursors.values()) cursor.append(entry);
  };

  const assertOpen = (options: CallOptions): void => {
    assertBusOpen(closed);
    throwIfAborted(options.signal);
  };

  const cursorOf = (name: string, group: string, fromBeginning: boolean): KeyOrderedCursor<WireMessage> => {
    const topic = topicOf(name);
    let cursor = topic.cursors.get(group);
    if (!cursor) {
      cursor = new KeyOrderedCursor();
      if (fromBeginning) for (const entry of topic.entries) cursor.append(entry);
      topic.cursors.set(group, cursor);
    }
    return cursor;
  };

  const subscribe = (subscribeOptions: SubscribeOptions): Subscription => {
    assertBusOpen(closed);
    assertSubscribable(subscribeOptions);
    const { group } = subscribeOptions;
    const policy = retryPolicyOf(subscribeOptions, retryBudgetMs);
    const concurrency = subscribeOptions.concurrency ?? 1;
    const closing = new AbortController();
    const queue = new DeliveryQueue(concurrency, () => subscription.close());
    const pumps: Promise<void>[] = [];

    const pump = async (topic: string, cursor: KeyOrderedCursor<WireMessage>): Promise<void> => {
      for (;;) {
        let entry: LogEntry<WireMessage>;
        try {
          entry = await cursor.take(closing.signal);
        } catch {
          return;
        }
        const outcome = await deliverWithRetries({
          topic,
          group,
          message: entry.message,
          ...(isRaw(subscribeOptions.records)
            ? { rawPosition: String(entry.offset), records: subscribeOptions.records }
            : {}),
          policy,
          queue,
          ...(subscribeOptions.onOutcome ? { onOutcome: subscribeOptions.onOutcome } : {}),
          closing: closing.signal,
          log,
          deadLetter: async (letter) => append(names.physical(dlqTopicOf(topic)), letter),
        });
        cursor.release(entry, outcome !== 'handed-back');
      }
    };

    for (const topic of subscribeOptions.topics) {
      const cursor = cursorOf(names.physical(topic), group, subscribeOptions.fromBeginning ?? true);
      for (let i = 0; i < concurrency; i++) pumps.push(pump(topic, cursor));
    }

    let closingDone: Promise<void> | undefined;
    const subscription: Subscription = {
      [Symbol.asyncIterator]: () => queue,
      ready: async () => {},
      close: () => {
        closingDone ??= (async () => {
          closing.abort(new AppError('cancelled', 'subscription closed'));
          queue.close();
          await queue.drain(closeTimeoutMs);
          await Promise.all(pumps);
          subscriptions.delete(subscription);
        })();
        return closingDone;
      },
    };
    subscriptions.add(subscription);
    return subscription;
  };

  return {
    publish: async (events, callOptions = {}) => {
      assertOpen(callOptions);
      assertPublishable(events);
      await tracePublish('flywheel-memory', events, async (traced) => {
        for (const event of traced) append(names.physical(event.type), toWireMessage(event));
      });
    },
    publishWire: async (topic, messages) => {
      assertOpen({});
      assertTopicName(topic);
      for (const message of messages) append(topic, message);
    },
    consumerLag: async (group, topicNames, callOptions = {}) => {
      assertOpen(callOptions);
      return topicNames.map((topic) => {
        const retained = topics.get(names.physical(topic));
        const cursor = retained?.cursors.get(group);
        return { topic, group, lag: cursor ? cursor.pending : (retained?.entries.length ?? 0) };
      });
    },
    retained: (topic) => (topics.get(topic)?.entries ?? []).map((entry) => entry.message),
    ensureTopics: async (topicNames, callOptions = {}) => {
      assertOpen(callOptions);
      assertTopicNames(topicNames);
      for (const name of withDlqTopics(topicNames)) topicOf(names.physical(name));
    },
    subscribe,
    close: async () => {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
    },
  };
}
