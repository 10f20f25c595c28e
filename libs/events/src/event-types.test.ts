import { create, toJsonString } from '@bufbuild/protobuf';
import { BlobRefSchema } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { startTelemetry } from '@flywheel/telemetry/sdk';
import { context, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { contentTypes } from './cloud-event.ts';
import { decodeEvent, eventKindFor, eventKindOf, eventTypes, newEvent } from './event-types.ts';

const telemetry = startTelemetry({ serviceName: 'events-test' });
afterAll(() => telemetry.shutdown());

const registered = {
  modelName: 'churn',
  modelVersion: 3n,
  team: 'growth',
  metrics: { auc: 0.91 },
  tags: { stage: 'candidate' },
};

describe('event kinds', () => {
  it('reads type and key field from the .proto options', () => {
    expect(eventKindOf(ModelVersionRegisteredSchema)).toMatchObject({
      type: 'model.version-registered',
      keyField: 'model_name',
    });
    expect(eventKindFor('dataset.arrived')?.schema).toBe(DatasetArrivedSchema);
    expect(eventKindFor('no.such-event')).toBeUndefined();
    expect(eventTypes()).toContain('model.version-registered');
    expect(eventTypes()).toEqual([...eventTypes()].sort());
  });

  it('refuses a message that is not an event with internal', () => {
    expect(() => eventKindOf(BlobRefSchema)).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});

describe('newEvent / decodeEvent', () => {
  it('round-trips a payload as protobuf, with type, key, subject and schema from the options', () => {
    const time = new Date('2026-03-01T12:00:00.000Z');
    const event = newEvent(ModelVersionRegisteredSchema, registered, {
      source: 'flywheel/registry',
      id: 'evt-1',
      time,
      extensions: { principal: 'growth/alice' },
    });
    expect(event).toMatchObject({
      id: 'evt-1',
      type: 'model.version-registered',
      source: 'flywheel/registry',
      time: '2026-03-01T12:00:00.000Z',
      subject: 'churn',
      key: 'churn',
      datacontenttype: contentTypes.protobuf,
      dataschema: 'flywheel.events.v1.ModelVersionRegistered',
      extensions: { principal: 'growth/alice' },
    });
    expect(event.traceparent).toBeUndefined();
    expect(decodeEvent(ModelVersionRegisteredSchema, event)).toMatchObject(registered);
  });

  it('gives a fresh id and the current time unless told', () => {
    const before = Date.now();
    const a = newEvent(ModelVersionRegisteredSchema, registered, { source: 's' });
    const b = newEvent(ModelVersionRegisteredSchema, registered, { source: 's' });
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(a.time)).toBeGreaterThanOrEqual(before - 1);
  });

  it('has no subject when the key field is empty', () => {
    const event = newEvent(ModelVersionRegisteredSchema, { modelVersion: 1n }, { source: 's' });
    expect(event.key).toBe('');
    expect(event).not.toHaveProperty('subject');
  });

  it('stamps the active trace context as traceparent', () => {
    const span = trace.getTracer('test').startSpan('register');
    const event = context.with(trace.setSpan(context.active(), span), () =>
      newEvent(ModelVersionRegisteredSchema, registered, { source: 's' }),
    );
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(event.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('decodes a JSON payload (protobuf JSON mapping) as a structured-mode producer sends it', () => {
    const json = toJsonString(ModelVersionRegisteredSchema, create(ModelVersionRegisteredSchema, registered));
    const event = {
      ...newEvent(ModelVersionRegisteredSchema, registered, { source: 's' }),
      datacontenttype: contentTypes.json,
      data: new TextEncoder().encode(json),
    };
    expect(decodeEvent(ModelVersionRegisteredSchema, event)).toMatchObject(registered);
  });

  it.each([
    [
      'of another type',
      { type: 'dataset.arrived' },
      'is a dataset.arrived, expected model.version-registered',
    ],
    ['with bytes that are not the message', { data: new Uint8Array([0xff, 0xff, 0xff]) }, 'does not decode'],
    [
      'with JSON naming an unknown field',
      { datacontenttype: contentTypes.json, data: new TextEncoder().encode('{"noSuchField":1}') },
      'does not decode',
    ],
    [
      'with JSON that is not JSON',
      { datacontenttype: contentTypes.json, data: new TextEncoder().encode('{') },
      'does not decode',
    ],
  ])('rejects an event %s with invalid_argument', (_, change, message) => {
    const event = { ...newEvent(ModelVersionRegisteredSchema, registered, { source: 's' }), ...change };
    let thrown: unknown;
    try {
      decodeEvent(ModelVersionRegisteredSchema, event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining(message) });
  });
});
