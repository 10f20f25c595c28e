import { AppError, type CallOptions, deadlineSignal, type Logger, silentLogger } from '@flywheel/core';
import { toWireMessage } from '@flywheel/events';
import {
  type Admin,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type RetryOptions,
} from 'kafkajs';
import { raceSignal } from '../delivery/race-signal.ts';
import { defaultRetryBudgetMs } from '../delivery/retry-policy.ts';
import {
  assertBusOpen,
  type EventBus,
  type SubscribeOptions,
  type Subscription,
  withDlqTopics,
} from '../event-bus.ts';
import { tracePublish } from '../messaging-spans.ts';
import { assertPublishable, assertSubscribable, assertTopicNames, topicNamespace } from '../topic-names.ts';
import { kafkaError } from './kafka-errors.ts';
import { kafkaLogCreator } from './kafka-logger.ts';
import { KafkaPublisher } from './kafka-publisher.ts';
import { type KafkaSecurity, kafkajsSecurity } from './kafka-security.ts';
import { type KafkaConsumerSettings, startKafkaSubscription } from './kafka-subscription.ts';
import { kafkaMessageOf } from './kafka-wire.ts';

export interface KafkaBusOptions extends KafkaSecurity {
  /** `host:port` of one or more brokers. */
  brokers: readonly string[];
  clientId?: string;
  log?: Logger;
  /** Partitions of topics this bus creates (and of their `.dlq`). Default 3. */
  numPartitions?: number;
  /** Replication factor of topics this bus creates. Default 1. */
  replicationFactor?: number;
  /** Deadline of `publish` and `ensureTopics` when the caller gives none, ms. Default 30 000. */
  defaultTimeoutMs?: number;
  /** How long closing waits for deliveries in hand to be settled, ms. Default 30 000. */
  closeTimeoutMs?: number;
  /** Consumer session timeout, ms: a member silent this long is removed from its group. Default 30 000. */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval, ms (about a third of the session timeout). Default 3000. */
  heartbeatIntervalMs?: number;
  /** Acked offsets are committed at least this often, ms. Default 100. */
  commitIntervalMs?: number;
  /** Longest a fetch waits for new records, ms (bounds how fast close stops fetching). Default 500. */
  fetchMaxWaitMs?: number;
  /** kafkajs reconnect backoff: first and largest wait, ms. Default 100 → 2000. */
  reconnectBackoff?: { initialMs: number; maxMs: number };
  /** Retry budget of subscriptions that set none (see SubscribeOptions.retryBudgetMs), ms. Default 15 min. */
  retryBudgetMs?: number;
  /** Put before every Kafka topic name (`staging.` → topic `staging.<type>`, see topicNamespace). Default none. */
  topicPrefix?: string;
}

/** Kafka's own settings: how an embedder can tell this adapter apart and inspect it. */
export interface KafkaBus extends EventBus {
  readonly brokers: readonly string[];
}

/**
 * The Kafka adapter (kafkajs). Publishing goes through one idempotent producer (acks=all,
 * one request in flight), coalescing concurrent calls into `sendBatch` requests grouped by
 * topic; the record key is the event key, the record is the CloudEvents binary-mode message.
 * Each subscription is a consumer-group member with manual commits (see
 * {@link startKafkaSubscription}). Topics are created with the admin client on first use.
 * Connection loss: `publish` fails with `unavailable` by its deadline and never hangs;
 * consumers reconnect with backoff.
 */
export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const log = (options.log ?? silentLogger).child({ bus: 'kafka' });
  if (options.brokers.length === 0) throw AppError.invalidArgument('brokers', 'needs at least one host:port');
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const numPartitions = options.numPartitions ?? 3;
  const replicationFactor = options.replicationFactor ?? 1;
  const names = topicNamespace(options.topicPrefix);
  const backoff = options.reconnectBackoff ?? { initialMs: 100, maxMs: 2000 };
  const retry: RetryOptions = {
    initialRetryTime: backoff.initialMs,
    maxRetryTime: backoff.maxMs,
    retries: 8,
  };
  const kafkaConfig: KafkaConfig = {
    clientId: options.clientId ?? 'flywheel',
    brokers: [...options.brokers],
    ...kafkajsSecurity(options),
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(log),
  };
  const kafka = new Kafka(kafkaConfig);
  const settings: KafkaConsumerSettings = {
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
    rebalanceTimeoutMs: Math.max(60_000, options.sessionTimeoutMs ?? 30_000),
    fetchMaxWaitMs: options.fetchMaxWaitMs ?? 500,
    commitIntervalMs: options.commitIntervalMs ?? 100,
    closeTimeoutMs: options.closeTimeoutMs ?? 30_000,
    retryBudgetMs: options.retryBudgetMs ?? defaultRetryBudgetMs,
    retry: { ...retry, retries: 10 },
  };
  const subscriptions = new Set<Subscription>();
  const knownTopics = new Set<string>();
  let closed = false;

  const lazily = <T>(connect: () => Promise<T>): (() => Promise<T>) => {
    let connecting: Promise<T> | undefined;
    return () => {
      connecting ??= connect().catch((error: unknown) => {
        connecting = undefined;
        throw error;
      });
      return connecting;
    };
  };
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // Unlimited retries (kafkajs's default for idempotence) keep sequence numbers consistent; the
    // caller's deadline bounds how long publish waits.
    retry: { ...retry, retries: Number.MAX_SAFE_INTEGER },
  });
  const connectedProducer = lazily<Producer>(async () => {
    await producer.connect();
    return producer;
  });
  const admin = kafka.admin({ retry });
  const connectedAdmin = lazily<Admin>(async () => {
    await admin.connect();
    return admin;
  });
  const publisher = new KafkaPublisher({
    producer: connectedProducer,
    requestTimeoutMs: 30_000,
    maxBatchBytes: 900_000,
    maxQueuedRecords: 100_000,
    log,
  });

  const until = async <T>(signal: AbortSignal, doing: string, work: Promise<T>): Promise<T> => {
    try {
      return await raceSignal(signal, work, `kafka: ${doing}`);
    } catch (error) {
      throw kafkaError(error, doing);
    }
  };

  const ensureTopics = async (topics: readonly string[], signal: AbortSignal): Promise<void> => {
    assertTopicNames(topics);
    const wanted = withDlqTopics(topics)
      .map(names.physical)
      .filter((t) => !knownTopics.has(t));
    if (wanted.length === 0) return;
    await until(
      signal,
      `creating topics ${wanted.join(', ')}`,
      (async () => {
        const client = await connectedAdmin();
        const existing = new Set(await client.listTopics());
        const missing = wanted.filter((topic) => !existing.has(topic));
        if (missing.length > 0) {
          await client.createTopics({
            topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })),
            waitForLeaders: true,
            timeout: 30_000,
          });
          log.info('created kafka topics', { topics: missing });
        }
        for (const topic of wanted) knownTopics.add(topic);
      })(),
    );
  };

  const assertOpen = (): void => {
    assertBusOpen(closed);
  };

  return {
    brokers: options.brokers,
    publish: async (events, callOptions: CallOptions = {}) => {
      assertOpen();
      assertPublishable(events);
      if (events.length === 0) return;
      const signal = deadlineSignal(callOptions, defaultTimeoutMs);
      await tracePublish('kafka', events, async (traced) => {
        await ensureTopics([...new Set(traced.map((event) => event.type))], signal);
        const records = traced.map((event) => ({
          topic: names.physical(event.type),
          message: kafkaMessageOf(toWireMessage(event)),
        }));
        await publisher.send(records, signal);
      });
    },
    ensureTopics: async (topics, callOptions = {}) => {
      assertOpen();
      await ensureTopics(topics, deadlineSignal(callOptions, defaultTimeoutMs));
    },
    consumerLag: async (group, topics, callOptions = {}) => {
      assertOpen();
      const signal = deadlineSignal(callOptions, defaultTimeoutMs);
      return until(
        signal,
        'reading consumer lag',
        (async () => {
          const client = await connectedAdmin();
          const existing = new Set(await client.listTopics());
          const present = [...new Set(topics.map(names.physical).filter((topic) => existing.has(topic)))];
          const committed =
            present.length > 0 ? await client.fetchOffsets({ groupId: group, topics: present }) : [];
          return Promise.all(
            topics.map(async (topic) => {
              const physical = names.physical(topic);
              if (!existing.has(physical)) return { topic, group, lag: 0 };
              const marks = committed.find((entry) => entry.topic === physical)?.partitions ?? [];
              let lag = 0;
              for (const { partition, high, low } of await client.fetchTopicOffsets(physical)) {
                // The committed offset is the next one to read; none (-1) reads from the earliest retained.
                const at = Number(marks.find((mark) => mark.partition === partition)?.offset ?? -1);
                lag += Math.max(0, Number(high) - (at >= 0 ? at : Number(low)));
              }
              return { topic, group, lag };
            }),
          );
        })(),
      );
    },
    subscribe: (subscribeOptions: SubscribeOptions) => {
      assertOpen();
      assertSubscribable(subscribeOptions);
      const subscription = startKafkaSubscription(
        {
          // Its own client (connections are per consumer anyway), so that what its broker answers
          // reaches only its log observer.
          kafkaFor: (onError) => new Kafka({ ...kafkaConfig, logCreator: kafkaLogCreator(log, onError) }),
          settings,
          log,
          names,
          ensureTopics,
          deadLetter: async (topic, message, closing) => {
            const signal = AbortSignal.any([closing, deadlineSignal({}, defaultTimeoutMs)]);
            await ensureTopics([topic.replace(/\.dlq$/, '')], signal);
            await publisher.send(
              [{ topic: names.physical(topic), message: kafkaMessageOf(message) }],
              signal,
            );
          },
          onClosed: (sub) => subscriptions.delete(sub),
        },
        subscribeOptions,
      );
      subscriptions.add(subscription);
      return subscription;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await Promise.race([
        publisher.idle(),
        new Promise((resolve) => setTimeout(resolve, settings.closeTimeoutMs).unref()),
      ]);
      await Promise.all([producer.disconnect(), admin.disconnect()]).catch((error: unknown) => {
        log.warn('kafka clients did not disconnect cleanly', { error: AppError.from(error).message });
      });
    },
  };
}
