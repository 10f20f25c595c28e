import { type CallOptions, deadlineSignal, type Logger, silentLogger } from '@flywheel/core';
import { toWireMessage, type WireMessage } from '@flywheel/events';
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
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
import { ensureDurableConsumer, lazyNatsConnection } from './nats-connection.ts';
import { jetStreamErrorCode, natsCall } from './nats-errors.ts';
import { durableNameOf, streamNameOf, subjectOf } from './nats-names.ts';
import type { NatsSecurity } from './nats-security.ts';
import { startNatsSubscription } from './nats-subscription.ts';
import { natsHeadersOf } from './nats-wire.ts';

export interface NatsBusOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** TLS (a CA) and the NATS user; default none (plain, anonymous). Never logged. */
  security?: NatsSecurity;
  /** Connection name the server shows. Default `flywheel`. */
  name?: string;
  log?: Logger;
  /** First token of every subject. Default `flywheel`. */
  subjectPrefix?: string;
  /** Deadline of `publish` and `ensureTopics` when the caller gives none, ms. Default 30 000. */
  defaultTimeoutMs?: number;
  /** How long closing waits for deliveries in hand to be settled, ms. Default 30 000. */
  closeTimeoutMs?: number;
  /** JetStream redelivers a message not acked this long after delivery (the adapter sends `working()` meanwhile), ms. Default 30 000. */
  ackWaitMs?: number;
  /**
   * Unacknowledged messages a group's consumer may have out at once, across its members.
   * Default 1: total order per topic and group, retries included — JetStream has no key
   * partitions, so this is what keeps events of a key in order. Raising it trades that order for
   * throughput (events of one key may then be handled concurrently and out of order).
   */
  maxAckPending?: number;
  /** JetStream drops a republished event id within this window (publish retries do not duplicate), ms. Default 120 000. */
  duplicateWindowMs?: number;
  /** Retry budget of subscriptions that set none (see SubscribeOptions.retryBudgetMs), ms. Default 15 min. */
  retryBudgetMs?: number;
  /**
   * Put before every topic name (`staging.` → stream `staging_<type>`, subject
   * `flywheel.staging.<type>`, see topicNamespace). Default none.
   */
  topicPrefix?: string;
}

/**
 * The NATS JetStream adapter (nats.js v3). One file-backed stream per topic (see
 * {@link streamNameOf}), one durable pull consumer with explicit acks per group and topic;
 * headers carry the CloudEvents binary-mode attributes plus the key. Publishing sets
 * `Nats-Msg-Id` to the event id, so a retried publish is deduplicated by the server.
 *
 * Ordering: JetStream has no key partitioning. With the default `maxAckPending: 1` a group's
 * consumer has one message out at a time, so the group sees each topic in publish order
 * (a total order, stronger than per key), a retried message holds back the ones after it, and
 * members of a group take turns rather than work in parallel — throughput is one round trip per
 * message per topic and group. That is the price of the same guarantee Kafka gives per partition.
 */
export function createNatsBus(options: NatsBusOptions): EventBus {
  const log = (options.log ?? silentLogger).child({ bus: 'nats' });
  const prefix = options.subjectPrefix ?? 'flywheel';
  const names = topicNamespace(options.topicPrefix);
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const maxAckPending = options.maxAckPending ?? 1;
  const duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  const knownStreams = new Set<string>();
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const connection = lazyNatsConnection({
    url: options.url,
    name: options.name ?? 'flywheel',
    requestTimeoutMs: defaultTimeoutMs,
    ...(options.security ? { security: options.security } : {}),
    log,
  });

  const ensureTopics = async (topics: readonly string[], signal: AbortSignal): Promise<void> => {
    assertTopicNames(topics);
    const wanted = withDlqTopics(topics).filter((t) => !knownStreams.has(t));
    if (wanted.length === 0) return;
    await natsCall(signal, 'creating streams', async () => {
      const { jsm } = await connection.get();
      for (const topic of wanted) {
        try {
          await jsm.streams.add({
            name: streamNameOf(names.physical(topic)),
            subjects: [subjectOf(prefix, names.physical(topic))],
            storage: StorageType.File,
            retention: RetentionPolicy.Limits,
            discard: DiscardPolicy.Old,
            duplicate_window: nanos(duplicateWindowMs),
            num_replicas: 1,
          });
        } catch (error) {
          // A stream of that name with other settings (created by hand, or by an older version) is used as it is.
          if ((error as { code?: unknown }).code !== jetStreamErrorCode.streamNameInUse) throw error;
        }
        knownStreams.add(topic);
      }
    });
  };

  const ensureConsumer = async (
    topic: string,
    group: string,
    fromBeginning: boolean,
    signal: AbortSignal,
  ): Promise<{ stream: string; durable: string }> => {
    const stream = streamNameOf(names.physical(topic));
    const durable = durableNameOf(group);
    return natsCall(signal, `creating a consumer of ${topic} for group ${group}`, async () => {
      const { jsm } = await connection.get();
      await ensureDurableConsumer(jsm, stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ackWaitMs),
        max_deliver: -1,
        max_ack_pending: maxAckPending,
        deliver_policy: fromBeginning ? DeliverPolicy.All : DeliverPolicy.New,
      });
      return { stream, durable };
    });
  };

  const publishWire = async (
    records: readonly { topic: string; message: WireMessage; id?: string }[],
    signal: AbortSignal,
  ) => {
    // A dead letter's topic comes with its source topic's streams: ensuring `<t>.dlq` itself would
    // create a `<t>.dlq.dlq` nobody reads (and the server's permissions do not grant).
    await ensureTopics([...new Set(records.map((record) => record.topic.replace(/\.dlq$/, '')))], signal);
    await natsCall(signal, 'publish', async () => {
      const { js } = await connection.get();
      // Issued together, in order, on one connection: the server stores them in this order.
      await Promise.all(
        records.map(({ topic, message, id }) =>
          js.publish(subjectOf(prefix, names.physical(topic)), message.value, {
            headers: natsHeadersOf(message),
            timeout: defaultTimeoutMs,
            ...(id === undefined ? {} : { msgID: id }),
          }),
        ),
      );
    });
  };

  const assertOpen = (): void => {
    assertBusOpen(closed);
  };

  return {
    publish: async (events, callOptions: CallOptions = {}) => {
      assertOpen();
      assertPublishable(events);
      if (events.length === 0) return;
      const signal = deadlineSignal(callOptions, defaultTimeoutMs);
      await tracePublish('nats', events, (traced) =>
        publishWire(
          traced.map((event) => ({ topic: event.type, message: toWireMessage(event), id: event.id })),
          signal,
        ),
      );
    },
    ensureTopics: async (topics, callOptions = {}) => {
      assertOpen();
      await ensureTopics(topics, deadlineSignal(callOptions, defaultTimeoutMs));
    },
    consumerLag: async (group, topics, callOptions = {}) => {
      assertOpen();
      const signal = deadlineSignal(callOptions, defaultTimeoutMs);
      return natsCall(signal, 'reading consumer lag', async () => {
        const { jsm } = await connection.get();
        return Promise.all(
          topics.map(async (topic) => {
            const stream = streamNameOf(names.physical(topic));
            try {
              const info = await jsm.consumers.info(stream, durableNameOf(group));
              // Not yet delivered, and delivered but not acknowledged: what Kafka's uncommitted offsets count.
              return { topic, group, lag: info.num_pending + info.num_ack_pending };
            } catch (error) {
              const code = (error as { code?: unknown }).code;
              if (code === jetStreamErrorCode.streamNotFound) return { topic, group, lag: 0 };
              if (code !== jetStreamErrorCode.consumerNotFound) throw error;
              // No consumer yet: the group starts at the beginning, behind by every retained message.
              try {
                return { topic, group, lag: (await jsm.streams.info(stream)).state.messages };
              } catch (streamError) {
                if ((streamError as { code?: unknown }).code === jetStreamErrorCode.streamNotFound)
                  return { topic, group, lag: 0 };
                throw streamError;
              }
            }
          }),
        );
      });
    },
    subscribe: (subscribeOptions: SubscribeOptions) => {
      assertOpen();
      assertSubscribable(subscribeOptions);
      const subscription = startNatsSubscription(
        {
          log,
          ackWaitMs,
          closeTimeoutMs: options.closeTimeoutMs ?? 30_000,
          retryBudgetMs: options.retryBudgetMs ?? defaultRetryBudgetMs,
          jetstream: async () => (await connection.get()).js,
          flush: async () => {
            const current = await connection.current();
            if (current) await raceSignal(deadlineSignal({}, 5000), current.nc.flush(), 'nats: flush');
          },
          ensureTopics,
          ensureConsumer,
          deadLetter: (topic, message, signal) => publishWire([{ topic, message }], signal),
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
      await connection.close();
    },
  };
}
