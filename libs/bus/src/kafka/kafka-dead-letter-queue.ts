import { AppError, type CallOptions, deadlineSignal, type Logger, silentLogger } from '@flywheel/core';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { raceSignal } from '../delivery/race-signal.ts';
import {
  type DeadLetter,
  type DeadLetterQueue,
  deadLetterOf,
  originalMessageOf,
  redriveGroup,
} from '../dlq/dead-letter-queue.ts';
import { dlqTopicOf } from '../event-bus.ts';
import { topicNamespace } from '../topic-names.ts';
import { kafkaError } from './kafka-errors.ts';
import { kafkaLogCreator } from './kafka-logger.ts';
import { type KafkaSecurity, kafkajsSecurity } from './kafka-security.ts';
import { kafkaMessageOf, wireMessageOf } from './kafka-wire.ts';

export interface KafkaDeadLetterQueueOptions extends KafkaSecurity {
  brokers: readonly string[];
  clientId?: string;
  log?: Logger;
  /** Deadline of `list` and `redrive` when the caller gives none, ms. Default 60 000 (a group join takes seconds). */
  defaultTimeoutMs?: number;
  /** Put before every topic name, as the bus does (see topicNamespace): `list('t')` reads `<prefix>t.dlq`. The redrive group is `<prefix>flywheel-dlq-redrive` then. Default none. */
  topicPrefix?: string;
}

/** One partition's span to read: from `start` to the end it had when the read began (`end`, exclusive). */
interface Span {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * The dead-letter topics of a Kafka cluster. `list` reads a DLQ with a throw-away group that
 * commits nothing; `redrive` reads it through the {@link redriveGroup} group from its committed
 * offsets, republishes chosen letters through an idempotent producer (acks=all) before committing
 * past them, and commits per partition up to the first letter not chosen.
 */
export function createKafkaDeadLetterQueue(options: KafkaDeadLetterQueueOptions): DeadLetterQueue {
  const log = (options.log ?? silentLogger).child({ component: 'kafka-dlq' });
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const names = topicNamespace(options.topicPrefix);
  // Kafka groups are cluster-wide: environments sharing a cluster must not share the redrive group.
  const redriveGroupId = names.physical(redriveGroup);
  const kafka = new Kafka({
    clientId: options.clientId ?? 'flywheel-dlq',
    brokers: [...options.brokers],
    ...kafkajsSecurity(options),
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log),
  });
  let admin: Promise<Admin> | undefined;
  let producer: Promise<Producer> | undefined;
  const connectedAdmin = (): Promise<Admin> => {
    admin ??= (async () => {
      const client = kafka.admin();
      await client.connect();
      return client;
    })();
    return admin;
  };
  const connectedProducer = (): Promise<Producer> => {
    producer ??= (async () => {
      const client = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await client.connect();
      return client;
    })();
    return producer;
  };

  /** The spans of `dlq` left to read: from the group's committed offset (or the log start) to the end now. */
  const spansOf = async (dlq: string, groupId: string | undefined): Promise<Map<number, Span>> => {
    const client = await connectedAdmin();
    if (!(await client.listTopics()).includes(dlq))
      throw new AppError('not_found', `kafka: there is no dead-letter topic ${dlq}`);
    const ends = await client.fetchTopicOffsets(dlq);
    const committed = new Map<number, bigint>();
    if (groupId !== undefined) {
      const [offsets] = await client.fetchOffsets({ groupId, topics: [dlq] });
      for (const { partition, offset } of offsets?.partitions ?? []) {
        if (BigInt(offset) >= 0n) committed.set(partition, BigInt(offset));
      }
    }
    const spans = new Map<number, Span>();
    for (const { partition, low, high } of ends) {
      const from = committed.get(partition) ?? BigInt(low);
      const start = from > BigInt(low) ? from : BigInt(low);
      if (start < BigInt(high)) spans.set(partition, { start, end: BigInt(high) });
    }
    return spans;
  };

  /**
   * Hands every message of the spans to `onLetter` in order per partition, through a consumer of
   * `groupId`; when `commit`, then commits per partition the offset after the last letter
   * `onLetter` settled before the first it did not.
   */
  const readSpans = async (
    dlq: string,
    groupId: string,
    spans: Map<number, Span>,
    commit: boolean,
    onLetter: (letter: DeadLetter) => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<void> => {
    if (spans.size === 0) return;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
    const left = new Set(spans.keys());
    const commitTo = new Map<number, bigint>();
    const blocked = new Set<number>();
    let finished: () => void = () => {};
    const allRead = new Promise<void>((resolve) => {
      finished = resolve;
    });
    let failed: (error: unknown) => void = () => {};
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [dlq], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const span = spans.get(partition);
          const offset = BigInt(message.offset);
          if (!span || !left.has(partition) || offset < span.start || offset >= span.end) return;
          try {
            const settled = await onLetter(
              deadLetterOf(`${partition}/${message.offset}`, wireMessageOf(message)),
            );
            if (!settled) blocked.add(partition);
            else if (!blocked.has(partition)) commitTo.set(partition, offset + 1n);
          } catch (error) {
            failed(error);
            throw error;
          }
          if (offset + 1n >= span.end) {
            left.delete(partition);
            if (left.size === 0) finished();
          }
        },
      });
      await raceSignal(signal, Promise.race([allRead, failure]), `kafka: reading ${dlq}`);
      if (commit && commitTo.size > 0) {
        await consumer.commitOffsets(
          [...commitTo].map(([partition, offset]) => ({ topic: dlq, partition, offset: offset.toString() })),
        );
      }
    } finally {
      await consumer.disconnect().catch(() => {});
    }
  };

  const deadlineOf = (callOptions: CallOptions): AbortSignal => deadlineSignal(callOptions, defaultTimeoutMs);

  return {
    list: async (topic, callOptions = {}) => {
      const dlq = dlqTopicOf(names.physical(topic));
      try {
        const letters: DeadLetter[] = [];
        const spans = await spansOf(dlq, undefined);
        const reader = `flywheel-dlq-list-${crypto.randomUUID()}`;
        await readSpans(
          dlq,
          reader,
          spans,
          false,
          async (letter) => {
            letters.push(letter);
            return true;
          },
          deadlineOf(callOptions),
        );
        return letters;
      } catch (error) {
        throw kafkaError(error, `listing ${dlq}`);
      }
    },
    redrive: async (topic, choose, callOptions = {}) => {
      const dlq = dlqTopicOf(names.physical(topic));
      const redriven: DeadLetter[] = [];
      const skipped: DeadLetter[] = [];
      try {
        const spans = await spansOf(dlq, redriveGroupId);
        const send = await connectedProducer();
        await readSpans(
          dlq,
          redriveGroupId,
          spans,
          true,
          async (letter) => {
            if (!choose(letter)) {
              skipped.push(letter);
              return false;
            }
            await send.send({
              topic: names.physical(topic),
              acks: -1,
              messages: [kafkaMessageOf(originalMessageOf(letter))],
            });
            redriven.push(letter);
            log.info('redrove a dead letter', { topic, eventId: letter.eventId, position: letter.position });
            return true;
          },
          deadlineOf(callOptions),
        );
        return { redriven, skipped };
      } catch (error) {
        throw kafkaError(error, `redriving ${dlq}`);
      }
    },
    close: async () => {
      const clients = await Promise.all([admin, producer].map((client) => client?.catch(() => undefined)));
      await Promise.all(clients.map((client) => client?.disconnect().catch(() => {})));
    },
  };
}
