// Raw kafkajs access for the Kafka tests: an independent producer to write foreign bytes, and a
// reader that drains a topic from its beginning. Test support only, out of src/.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WireMessage } from '@flywheel/events';
import { uniqueName } from '@flywheel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaBus, type KafkaBus, type KafkaBusOptions } from '../src/kafka/kafka-bus.ts';
import { kafkaMessageOf, wireMessageOf } from '../src/kafka/kafka-wire.ts';
import type { EventBusHarness } from './event-bus-contract.ts';

const run = promisify(execFile);

/** A Kafka bus tuned for tests (short heartbeats) plus raw access to the same brokers. */
export async function kafkaHarness(
  brokers: readonly string[],
  options: Partial<KafkaBusOptions> = {},
): Promise<EventBusHarness> {
  const make = (more: Partial<KafkaBusOptions> = {}) =>
    createKafkaBus({ brokers, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, ...options, ...more });
  const bus = make();
  const others: KafkaBus[] = [];
  const kafka = new Kafka({
    clientId: 'flywheel-test-raw',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
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
    topicNames: () => listTopics(kafka, brokers),
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

/** The cluster's topic names as kcat lists them (`kcat -L -J`), or kafkajs's admin where kcat is not on PATH. */
async function listTopics(kafka: Kafka, brokers: readonly string[]): Promise<string[]> {
  try {
    const { stdout } = await run('kcat', ['-b', brokers.join(','), '-L', '-J', '-m', '10'], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 30_000,
    });
    return (JSON.parse(stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
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
