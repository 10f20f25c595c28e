// A producer that is not Flywheel — kcat, librdkafka's CLI — puts CloudEvents and garbage on a
// topic; a Flywheel subscriber decodes the one, dead-letters the other and goes on.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createKafkaBus, dlqHeaders, dlqTopicOf, type EventBus } from '@flywheel/bus';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Produces one message with kcat, value from stdin. */
async function kcatProduce(
  brokers: string,
  topic: string,
  key: string,
  value: string,
  headers: Record<string, string>,
): Promise<void> {
  const args = ['-P', '-b', brokers, '-t', topic, '-k', key, '-D', '\u0001'];
  for (const [name, v] of Object.entries(headers)) args.push('-H', `${name}=${v}`);
  const child = execFile('kcat', args);
  const done = new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`)),
    );
  });
  child.stdin?.end(value);
  await done;
}

interface KcatRecord {
  key: string;
  payload: string;
  headers: string[];
}

/** Reads a topic from the beginning with kcat (JSON envelopes), stopping at its end. */
async function kcatConsumeAll(brokers: string, topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
    { timeout: 20_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatRecord);
}

describe('interop with kcat (real Kafka)', () => {
  const brokers = realServers().kafkaBrokers;
  let bus: EventBus;
  beforeAll(() => {
    bus = createKafkaBus({ brokers, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
  });
  afterAll(async () => {
    await bus.close();
  });

  it('decodes a structured-mode JSON CloudEvent that kcat published', async () => {
    const topic = uniqueName('kcat.structured');
    await bus.ensureTopics([topic]);
    const subscription = bus.subscribe({ topics: [topic], group: uniqueName('g') });
    const cloudEvent = {
      specversion: '1.0',
      id: 'kcat-event-1',
      type: topic,
      source: 'urn:data-pipeline:nightly',
      time: '2026-03-01T12:00:00Z',
      subject: 'datasets/churn/2026-03-01',
      datacontenttype: 'application/json',
      data: { rows: 1200, uri: 's3://lake/churn/2026-03-01.parquet' },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    await kcatProduce(brokers.join(','), topic, 'churn', JSON.stringify(cloudEvent), {
      'content-type': 'application/cloudevents+json',
    });
    const { value: delivery } = await subscription[Symbol.asyncIterator]().next();
    await delivery!.ack();
    await subscription.close();
    const { event } = delivery!;
    expect(event).toMatchObject({
      id: 'kcat-event-1',
      type: topic,
      source: 'urn:data-pipeline:nightly',
      time: '2026-03-01T12:00:00Z',
      subject: 'datasets/churn/2026-03-01',
      datacontenttype: 'application/json',
      key: 'churn',
      traceparent: cloudEvent.traceparent,
    });
    expect(JSON.parse(new TextDecoder().decode(event.data))).toEqual(cloudEvent.data);
  });

  it('dead-letters garbage kcat published, with the reason, and goes on to the next good event', async () => {
    const topic = uniqueName('kcat.garbage');
    await bus.ensureTopics([topic]);
    const subscription = bus.subscribe({ topics: [topic], group: uniqueName('g') });
    await kcatProduce(brokers.join(','), topic, 'k', 'this is not a cloud event', {
      'content-type': 'application/cloudevents+json',
      'x-producer': 'kcat',
    });
    const good = { specversion: '1.0', id: 'after-the-garbage', type: topic, source: 'kcat' };
    await kcatProduce(brokers.join(','), topic, 'k', JSON.stringify(good), {
      'content-type': 'application/cloudevents+json',
    });

    const { value: delivery } = await subscription[Symbol.asyncIterator]().next();
    expect(delivery!.event.id).toBe('after-the-garbage');
    await delivery!.ack();
    await subscription.close();

    const [letter] = await waitFor(
      async () => {
        const records = await kcatConsumeAll(brokers.join(','), dlqTopicOf(topic));
        return records.length > 0 && records;
      },
      { timeoutMs: 30_000, what: 'the dead letter' },
    );
    const headers = Object.fromEntries(
      Array.from({ length: letter!.headers.length / 2 }, (_, i) => [
        letter!.headers[2 * i],
        letter!.headers[2 * i + 1],
      ]),
    );
    expect(letter!.key).toBe('k');
    expect(letter!.payload).toBe('this is not a cloud event');
    expect(headers['x-producer']).toBe('kcat');
    expect(headers[dlqHeaders.topic]).toBe(topic);
    expect(headers[dlqHeaders.reason]).toMatch(/^undecodable: not a CloudEvent: value is not JSON/);
  });
});
