// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import { dlqHeaders } from '@flywheel/bus';
import { toWireMessage } from '@flywheel/events';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

// Rules on a topic no Flywheel service knows (what another system writes), on the embedded bus;
// test/triggers-on-an-outside-kafka-topic.test.ts does the same with kcat on real Kafka.
const topic = 'acme.weather-observations';
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('trigger rules on any topic, filtered with CEL', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema).map((e) => e.payload);

  beforeAll(async () => {
    h = await startScheduler({ env: { FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: 'acme.*,other.exact' } });
    await h.client.createPipeline({
      pipeline: {
        name: 'retrain-station',
        spec: {
          parameters: [{ name: 'station', required: true }, { name: 'rows' }, { name: 'since' }],
          steps: [{ name: 'train', kind: { case: 'builtin', value: { name: 'train' } } }],
        },
      },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('refuses a rule that cannot work, naming the field', async () => {
    const base = {
      name: 'bad',
      topic,
      pipelineName: 'retrain-station',
      enabled: true,
      parameters: { station: 'x' },
    };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ filter: { expression: 'event.rows >' } }, 'trigger_rule.filter.expression', 'does not parse'],
      [{ filter: { expression: '1 + 2' } }, 'trigger_rule.filter.expression', 'boolean'],
      [{ filter: { expression: 'evnt.rows > 1' } }, 'trigger_rule.filter.expression', 'unresolved attribute'],
      [{ eventType: 'drift.detected' }, 'trigger_rule.topic', 'not both'],
      [{ topic: 'drift.detected' }, 'trigger_rule.topic', 'is a Flywheel event type'],
      [{ topic: 'acme.orders.dlq' }, 'trigger_rule.topic', 'dead-letter'],
      [
        { topic: 'elsewhere.orders' },
        'trigger_rule.topic',
        'FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: acme.*, other.exact',
      ],
      [{ topic: 'acme orders' }, 'trigger_rule.topic', ''],
      [{ topic: '' }, 'trigger_rule.event_type', 'is required'],
      [{ parameters: { station: '${event.}' } }, 'trigger_rule.parameters.station', 'dotted path'],
      [{ parameters: { station: '${event.at - 7x}' } }, 'trigger_rule.parameters.station', 'not a duration'],
    ];
    for (const [change, field, message] of cases) {
      await expect(h.client.createTriggerRule({ triggerRule: { ...base, ...change } })).rejects.toMatchObject(
        {
          code: 'invalid_argument',
          field,
          message: expect.stringContaining(message),
        },
      );
    }
  });

  it('a matching JSON record starts a run with variables from the event; others do not; non-JSON is dead-lettered', async () => {
    const { triggerRule } = await h.client.createTriggerRule({
      triggerRule: {
        name: 'retrain-on-new-york-rows',
        topic,
        filter: { expression: 'event.station == "new-york" && event.rows >= 100', match: { kind: 'daily' } },
        pipelineName: 'retrain-station',
        parameters: { station: '${event.station}', rows: '${event.rows}', since: '${event.at - P7D}' },
        enabled: true,
      },
    });
    expect(triggerRule).toMatchObject({ topic, eventType: '' });

    await h.bus.publishWire(topic, [
      // A plain JSON value, as any producer writes it: matches.
      {
        key: 'new-york',
        value: json({ station: 'new-york', rows: 365, kind: 'daily', at: '2024-05-20T00:00:00Z' }),
        headers: {},
      },
      // Too few rows; another station; another kind: no run.
      { key: 'new-york', value: json({ station: 'new-york', rows: 3, kind: 'daily' }), headers: {} },
      { key: 'seattle', value: json({ station: 'seattle', rows: 500, kind: 'daily' }), headers: {} },
      { key: 'new-york', value: json({ station: 'new-york', rows: 500, kind: 'hourly' }), headers: {} },
      // Not JSON: to the DLQ with the reason.
      { key: 'broken', value: new TextEncoder().encode('station=new-york rows=12'), headers: {} },
    ]);
    // A binary-mode CloudEvent (ce_* headers) and a structured one: `event` is their data.
    const cloudEvent = {
      id: 'obs-1',
      type: 'com.acme.observations.arrived',
      source: 'urn:acme:ingest',
      time: '2024-05-27T00:00:00Z',
      subject: 'new-york',
      datacontenttype: 'application/json',
      key: 'new-york',
    };
    await h.bus.publishWire(topic, [
      toWireMessage({
        ...cloudEvent,
        data: json({ station: 'new-york', rows: 120, kind: 'daily', at: '2024-05-27T00:00:00Z' }),
      }),
      {
        key: 'new-york',
        value: json({
          specversion: '1.0',
          ...cloudEvent,
          id: 'obs-2',
          data: { station: 'new-york', rows: 130, kind: 'daily', at: '2024-06-03T00:00:00Z' },
        }),
        headers: { 'content-type': 'application/cloudevents+json' },
      },
    ]);

    const requested = await waitFor(() => runs().length >= 3 && runs(), { what: 'three runs requested' });
    expect(requested.map((run) => run.parameters)).toEqual([
      { station: 'new-york', rows: 365, since: '2024-05-13T00:00:00.000Z' },
      { station: 'new-york', rows: 120, since: '2024-05-20T00:00:00.000Z' },
      { station: 'new-york', rows: 130, since: '2024-05-27T00:00:00.000Z' },
    ]);
    expect(requested[0]?.trigger).toMatchObject({
      source: RunSource.TRIGGER,
      triggerRuleName: 'retrain-on-new-york-rows',
      event: { id: `${topic}/0`, type: topic },
    });
    expect(requested[1]?.trigger?.event).toMatchObject({
      id: 'obs-1',
      type: 'com.acme.observations.arrived',
    });

    const letters = await waitFor(
      () => h.bus.retained(`${topic}.dlq`).length >= 1 && h.bus.retained(`${topic}.dlq`),
      {
        what: 'the non-JSON record in the DLQ',
      },
    );
    expect(letters).toHaveLength(1);
    expect(new TextDecoder().decode(letters[0]?.value)).toBe('station=new-york rows=12');
    expect(letters[0]?.headers[dlqHeaders.reason]).toMatch(/is not JSON/);
    expect(runs()).toHaveLength(3);
  });
});
