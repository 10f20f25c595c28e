// Raw kafkajs access for the Kafka tests: an independent producer to write foreign bytes, and a
// reader that drains a topic from its beginning. Test support only, out of src/.
import type { WireMessage } from '@flywheel/events';
import { type KafkaSettings, kcatTopics, type RealServers, uniqueName } from '@flywheel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaBus, type KafkaBus, type KafkaBusOptions } from '../src/kafka/kafka-bus.ts';
import { kafkajsSecurity } from '../src/kafka/kafka-security.ts';
import { kafkaMessageOf, wireMessageOf } from '../src/kafka/kafka-wire.ts';
import type { EventBusHarness } from './event-bus-contract.ts';

/** A Kafka bus tuned for tests (short heartbeats) plus raw access to the same brokers. */
export async function kafkaHarness(
  servers: Pick<RealServers, 'kafka' | 'kafkaEnv'>,
  options: Partial<KafkaBusOptions> = {},
): Promise<EventBusHarness> {
  const make = (more: Partial<KafkaBusOptions> = {}) =>
    createKafkaBus({
      ...servers.kafka,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      ...options,
      ...more,
    });
  const bus = make();
  const others: KafkaBus[] = [];
  const kafka = rawKafka(servers.kafka, 'flywheel-test-raw');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return {
    bus,
    publishWire: async (topic, message) => {
      await producer.send({ topic, acks: -1, messages: [kafkaMessageOf(message)] });
    },
    readWire: (topic, count, timeoutMs) => readTopic(kafka, topic, count, timeoutMs),
    withTopicPrefix: (topicPrefix) => {
      const other = make({ topicPrefix });
      others.push(other);
      return other;
    },
    topicNames: () => listTopics(kafka, servers.kafkaEnv),
    close: async () => {
      await Promise.all([bus, ...others].map((each) => each.close()));
      await producer.disconnect();
    },
  };
}

/** Reads `topic` from the beginning with a throw-away group until `count` messages arrived or the deadline passed. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs: number,
): Promise<WireMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  const messages: WireMessage[] = [];
  let enough: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    enough = resolve;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(wireMessageOf(message));
        if (messages.length >= count) enough();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** A plain kafkajs client of the cluster (TLS and SASL as configured), for raw reads and writes. */
export function rawKafka(settings: KafkaSettings, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: settings.brokers,
    ...kafkajsSecurity(settings),
    logLevel: logLevel.NOTHING,
  });
}

/** The cluster's topic names as kcat lists them (`kcat -L -J`), or kafkajs's admin where kcat is not on PATH. */
async function listTopics(kafka: Kafka, kafkaEnv: Record<string, string>): Promise<string[]> {
  try {
    return await kcatTopics(kafkaEnv);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}
