// A producer that is not Flywheel — kcat, librdkafka's CLI — puts CloudEvents and garbage on a
// topic; a Flywheel subscriber decodes the one, dead-letters the other and goes on.
import { dlqHeaders, dlqTopicOf, type EventBus } from '@flywheel/bus';
import { createKafkaBus } from '@flywheel/bus/kafka';
import { AppError } from '@flywheel/core';
import {
  kcatConsumeAll,
  kcatHeaders,
  kcatProduce,
  realServers,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('interop with kcat (real Kafka)', () => {
  const servers = realServers();
  const kafkaEnv = servers.kafkaEnv;
  let bus: EventBus;
  beforeAll(() => {
    bus = createKafkaBus({ ...servers.kafka, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
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
    await kcatProduce(kafkaEnv, topic, 'churn', JSON.stringify(cloudEvent), {
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
    await kcatProduce(kafkaEnv, topic, 'k', 'this is not a cloud event', {
      'content-type': 'application/cloudevents+json',
      'x-producer': 'kcat',
    });
    const good = { specversion: '1.0', id: 'after-the-garbage', type: topic, source: 'kcat' };
    await kcatProduce(kafkaEnv, topic, 'k', JSON.stringify(good), {
      'content-type': 'application/cloudevents+json',
    });

    const { value: delivery } = await subscription[Symbol.asyncIterator]().next();
    expect(delivery!.event.id).toBe('after-the-garbage');
    await delivery!.ack();
    await subscription.close();

    const [letter] = await waitFor(
      async () => {
        const records = await kcatConsumeAll(kafkaEnv, dlqTopicOf(topic));
        return records.length > 0 && records;
      },
      { timeoutMs: 30_000, what: 'the dead letter' },
    );
    const headers = kcatHeaders(letter!);
    expect(letter!.key).toBe('k');
    expect(letter!.payload).toBe('this is not a cloud event');
    expect(headers['x-producer']).toBe('kcat');
    expect(headers[dlqHeaders.topic]).toBe(topic);
    expect(headers[dlqHeaders.reason]).toMatch(/^undecodable: not a CloudEvent: value is not JSON/);
  });

  it("delivers an external topic's raw records as they are (records: 'raw'), id = topic/partition/offset, DLQ with the reason", async () => {
    const topic = uniqueName('kcat.raw');
    await bus.ensureTopics([topic]);
    const subscription = bus.subscribe({ topics: [topic], group: uniqueName('g'), records: 'raw' });
    // Not CloudEvents: a plain JSON row and a line of text, as another system writes them.
    await kcatProduce(kafkaEnv, topic, 'st-1', '{"station":"st-1","temp":3.5}', {});
    await kcatProduce(kafkaEnv, topic, 'st-1', 'not json at all', { 'x-producer': 'kcat' });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = (await iterator.next()).value!;
    const [written] = await kcatConsumeAll(kafkaEnv, topic);
    expect(first.event).toMatchObject({
      id: `${topic}/${written!.partition}/${written!.offset}`,
      type: topic,
      key: 'st-1',
      datacontenttype: 'application/json',
    });
    expect(new TextDecoder().decode(first.event.data)).toBe('{"station":"st-1","temp":3.5}');
    await first.ack();
    const second = (await iterator.next()).value!;
    expect(new TextDecoder().decode(second.event.data)).toBe('not json at all');
    await second.nack(AppError.invalidArgument('record', 'is not JSON'));
    const [letter] = await waitFor(
      async () => {
        const records = await kcatConsumeAll(kafkaEnv, dlqTopicOf(topic));
        return records.length > 0 && records;
      },
      { timeoutMs: 30_000, what: 'the dead letter' },
    );
    await subscription.close();
    expect(letter!.payload).toBe('not json at all');
    expect(kcatHeaders(letter!)['x-producer']).toBe('kcat');
    expect(kcatHeaders(letter!)[dlqHeaders.reason]).toMatch(/record: is not JSON \(not retriable\)/);
  });
});
