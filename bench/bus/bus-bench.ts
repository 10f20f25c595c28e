// Events per second through Flywheel's Kafka adapter versus raw kafkajs doing the same work, on the
// same broker in the same run: encode N CloudEvents (~200 B payload, binary mode) and publish them
// in batches with an idempotent producer (acks=all), consume them all in one consumer group,
// decode each record into a CloudEvent, commit. Then a second group drains the backlog
// (consume-only). Raw kafkajs commits with autoCommit; Flywheel commits what was acked.
//
//   node bench/bus/bus-bench.ts [events=50000] [batch=500] [rounds=3]
//
// Needs FLYWHEEL_KAFKA_BROKERS (scripts/servers/servers.sh start kafka && source .run/servers/servers.env).
// After a warm-up round of each, rounds alternate raw / Flywheel; the median of each is compared.
// Not a test: nothing asserts.
import { createKafkaBus } from '@flywheel/bus/kafka';
import { type CloudEvent, fromWireMessage, newEventId, toWireMessage } from '@flywheel/events';
import { kafkaSettingsOf } from '@flywheel/testing';
import { Kafka, type KafkaMessage, logLevel, Partitioners, type SASLOptions } from 'kafkajs';

const [events = 50_000, batch = 500, rounds = 3] = process.argv.slice(2).map(Number);
if (!process.env.FLYWHEEL_KAFKA_BROKERS) {
  console.error('FLYWHEEL_KAFKA_BROKERS is not set: start Kafka and source .run/servers/servers.env');
  process.exit(2);
}
// Brokers, TLS CA and SASL user, as servers.env gives them (both sides pay the same TLS + SCRAM).
const kafkaSettings = kafkaSettingsOf(process.env);
const partitions = 3;
const runId = `${process.pid}-${Date.now().toString(36)}`;
const payload = new TextEncoder().encode(
  JSON.stringify({ model: 'churn', version: 7, score: 0.12345, pad: 'x'.repeat(140) }),
);

function makeEvents(topic: string): CloudEvent[] {
  return Array.from({ length: events }, (_, i) => ({
    id: newEventId(),
    type: topic,
    source: 'flywheel/bench',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: payload,
    key: `model-${i % 64}`,
  }));
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += batch) out.push(items.slice(i, i + batch));
  return out;
}

/** What any consumer of these events does with a record: read it as a CloudEvent. */
function decode(message: KafkaMessage): CloudEvent {
  const headers: Record<string, string> = {};
  for (const name in message.headers) headers[name] = String(message.headers[name]);
  return fromWireMessage({ key: message.key?.toString(), value: message.value ?? new Uint8Array(), headers });
}

interface Result {
  /** Publish and consume running together, until the last event is consumed. */
  seconds: number;
  /** Until the last publish was acknowledged. */
  publishSeconds: number;
  /** A second group consuming the whole backlog. */
  drainSeconds: number;
}

async function runFlywheel(round: number | string): Promise<Result> {
  const topic = `bench.flywheel-${runId}-${round}`;
  const bus = createKafkaBus({ ...kafkaSettings, numPartitions: partitions });
  await bus.ensureTopics([topic]);
  const subscription = bus.subscribe({
    topics: [topic],
    group: `bench-flywheel-${runId}-${round}`,
    concurrency: partitions,
  });
  await subscription.ready({ timeoutMs: 60_000 });
  const all = makeEvents(topic);
  let consumed = 0;
  let done: () => void = () => {};
  const allConsumed = new Promise<void>((resolve) => {
    done = resolve;
  });
  const consuming = (async () => {
    for await (const delivery of subscription) {
      await delivery.ack();
      if (++consumed === events) done();
    }
  })();
  const t0 = performance.now();
  for (const chunk of batches(all)) await bus.publish(chunk, { timeoutMs: 60_000 });
  const published = performance.now();
  await allConsumed;
  const t1 = performance.now();
  await subscription.close();
  await consuming;
  // Backlog: a new group drains the N events already on the topic.
  const drainer = bus.subscribe({
    topics: [topic],
    group: `bench-flywheel-drain-${runId}-${round}`,
    concurrency: partitions,
  });
  await drainer.ready({ timeoutMs: 60_000 });
  let d0 = 0;
  let drained = 0;
  let d1 = 0;
  for await (const delivery of drainer) {
    if (drained === 0) d0 = performance.now();
    await delivery.ack();
    if (++drained === events) {
      d1 = performance.now();
      break; // closes the subscription (not timed, as for raw kafkajs)
    }
  }
  await bus.close();
  return {
    seconds: (t1 - t0) / 1000,
    publishSeconds: (published - t0) / 1000,
    drainSeconds: (d1 - d0) / 1000,
  };
}

async function runRaw(round: number | string): Promise<Result> {
  const topic = `bench.raw-${runId}-${round}`;
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: kafkaSettings.brokers,
    ...(kafkaSettings.tls === undefined
      ? {}
      : { ssl: kafkaSettings.tls.ca === undefined ? true : { ca: [kafkaSettings.tls.ca] } }),
    ...(kafkaSettings.sasl === undefined ? {} : { sasl: kafkaSettings.sasl as SASLOptions }),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `bench-raw-${runId}-${round}`, maxWaitTimeInMs: 500 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let consumed = 0;
  let done: () => void = () => {};
  const allConsumed = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachMessage: async ({ message }) => {
      decode(message);
      if (++consumed === events) done();
    },
  });
  await joined;
  const all = makeEvents(topic);
  const t0 = performance.now();
  for (const chunk of batches(all)) {
    // The same bytes Flywheel puts on the wire (CloudEvents binary mode), encoded in the timed loop
    // as a raw kafkajs application would have to.
    const messages = chunk.map((event) => {
      const wire = toWireMessage(event);
      return {
        key: wire.key ?? null,
        value: Buffer.from(wire.value.buffer, wire.value.byteOffset, wire.value.byteLength),
        headers: wire.headers,
      };
    });
    await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
  }
  const published = performance.now();
  await allConsumed;
  const t1 = performance.now();
  await consumer.disconnect();
  await producer.disconnect();
  // Backlog: a new group drains the N events already on the topic.
  const drainer = kafka.consumer({ groupId: `bench-raw-drain-${runId}-${round}`, maxWaitTimeInMs: 500 });
  const drainerJoined = new Promise<void>((resolve) =>
    drainer.on(drainer.events.GROUP_JOIN, () => resolve()),
  );
  let drained = 0;
  let drainedAll: () => void = () => {};
  const allDrained = new Promise<void>((resolve) => {
    drainedAll = resolve;
  });
  await drainer.connect();
  await drainer.subscribe({ topics: [topic], fromBeginning: true });
  let d0 = 0;
  await drainer.run({
    partitionsConsumedConcurrently: partitions,
    eachMessage: async ({ message }) => {
      decode(message);
      if (drained === 0) d0 = performance.now();
      if (++drained === events) drainedAll();
    },
  });
  await drainerJoined;
  d0 ||= performance.now();
  await allDrained;
  const d1 = performance.now();
  await drainer.disconnect();
  return {
    seconds: (t1 - t0) / 1000,
    publishSeconds: (published - t0) / 1000,
    drainSeconds: (d1 - d0) / 1000,
  };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (seconds: number): string => `${Math.round(events / seconds).toLocaleString('en-US')} events/s`;

console.log(
  `bus bench: ${events} events of ${payload.byteLength} B payload, batches of ${batch}, ${partitions} partitions, ${rounds} rounds, brokers ${kafkaSettings.brokers.join(',')}`,
);
// Warm-up (JIT, connections, broker caches), not counted.
await runRaw('warmup');
await runFlywheel('warmup');
const raw: Result[] = [];
const flywheel: Result[] = [];
for (let round = 0; round < rounds; round++) {
  raw.push(await runRaw(round));
  flywheel.push(await runFlywheel(round));
  const r = raw.at(-1)!;
  const f = flywheel.at(-1)!;
  console.log(
    `round ${round + 1}: raw kafkajs ${rate(r.seconds)} (publish ${rate(r.publishSeconds)}, backlog drain ${rate(r.drainSeconds)}) | ` +
      `flywheel ${rate(f.seconds)} (publish ${rate(f.publishSeconds)}, backlog drain ${rate(f.drainSeconds)})`,
  );
}
for (const [label, pick] of [
  ['publish+consume', (r: Result) => r.seconds],
  ['backlog drain (consume only)', (r: Result) => r.drainSeconds],
] as const) {
  const rawRate = events / median(raw.map(pick));
  const flywheelRate = events / median(flywheel.map(pick));
  console.log(
    `median ${label}: raw kafkajs ${Math.round(rawRate)} events/s, flywheel ${Math.round(flywheelRate)} events/s, ` +
      `ratio ${(flywheelRate / rawRate).toFixed(2)}`,
  );
}
console.log('goal: publish+consume ratio ≥ 0.80');
