import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { describe, expect, it } from 'vitest';
import { type CloudEvent, contentTypes } from './cloud-event.ts';
import { decodeEvent, newEvent } from './event-types.ts';
import { toOutboxEntry } from './outbox-entry.ts';
import { fromWireMessage, toWireMessage, type WireMessage } from './wire-binding.ts';

const utf8 = new TextEncoder();
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const event: CloudEvent = {
  id: 'evt-1',
  type: 'model.version-registered',
  source: 'flywheel/registry',
  time: '2026-03-01T12:00:00.000Z',
  subject: 'churn',
  datacontenttype: contentTypes.protobuf,
  dataschema: 'flywheel.events.v1.ModelVersionRegistered',
  data: new Uint8Array([10, 5, 99, 104, 117, 114, 110]),
  key: 'churn',
  traceparent,
  tracestate: 'vendor=1',
  extensions: { principal: 'growth/alice' },
};

describe('binary content mode', () => {
  it('puts attributes in ce_* headers, the payload in the value, the key as the key', () => {
    expect(toWireMessage(event)).toEqual({
      key: 'churn',
      value: event.data,
      headers: {
        ce_specversion: '1.0',
        ce_id: 'evt-1',
        ce_type: 'model.version-registered',
        ce_source: 'flywheel/registry',
        ce_time: '2026-03-01T12:00:00.000Z',
        ce_subject: 'churn',
        ce_dataschema: 'flywheel.events.v1.ModelVersionRegistered',
        'content-type': 'application/protobuf',
        traceparent,
        tracestate: 'vendor=1',
        ce_principal: 'growth/alice',
      },
    });
  });

  it('round-trips every attribute', () => {
    expect(fromWireMessage(toWireMessage(event))).toEqual(event);
  });

  it('round-trips a minimal event without optional attributes', () => {
    const minimal: CloudEvent = {
      id: 'e',
      type: 't',
      source: 's',
      time: '2026-01-01T00:00:00.000Z',
      datacontenttype: contentTypes.protobuf,
      data: new Uint8Array(),
      key: 'k',
    };
    expect(fromWireMessage(toWireMessage(minimal))).toEqual(minimal);
  });

  it('round-trips a real payload through newEvent and decodeEvent', () => {
    const sent = newEvent(
      ModelVersionRegisteredSchema,
      { modelName: 'churn', modelVersion: 7n },
      { source: 's' },
    );
    const received = fromWireMessage(toWireMessage(sent));
    expect(decodeEvent(ModelVersionRegisteredSchema, received)).toMatchObject({
      modelName: 'churn',
      modelVersion: 7n,
    });
  });

  it('falls back to partitionkey, subject, then id for a message without a key', () => {
    const headers = { ce_specversion: '1.0', ce_id: 'i', ce_type: 't', ce_source: 's' };
    const read = (extra: Record<string, string>) =>
      fromWireMessage({ key: undefined, value: new Uint8Array(), headers: { ...headers, ...extra } }).key;
    expect(read({ ce_partitionkey: 'p', ce_subject: 'sub' })).toBe('p');
    expect(read({ ce_subject: 'sub' })).toBe('sub');
    expect(read({})).toBe('i');
  });

  it.each([
    ['an unsupported specversion', { ce_specversion: '0.3' }, 'unsupported CloudEvents specversion "0.3"'],
    ['no ce_id', { ce_id: '' }, 'ce_id: header is required'],
    ['no ce_type', { ce_type: undefined }, 'ce_type: header is required'],
    ['no ce_source', { ce_source: undefined }, 'ce_source: header is required'],
  ])('rejects a message with %s as invalid_argument', (_, change, message) => {
    const wire = toWireMessage(event);
    const headers = Object.fromEntries(
      Object.entries({ ...wire.headers, ...change }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    expect(() => fromWireMessage({ ...wire, headers })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message }),
    );
  });
});

describe('structured JSON mode', () => {
  const structured = (body: unknown, headers: Record<string, string> = {}): WireMessage => ({
    key: undefined,
    value:
      body instanceof Uint8Array ? body : utf8.encode(typeof body === 'string' ? body : JSON.stringify(body)),
    headers,
  });
  const base = { specversion: '1.0', id: 'k-1', type: 'dataset.arrived', source: 'kcat' };

  it.each([
    ['application/cloudevents+json', { 'content-type': 'application/cloudevents+json; charset=utf-8' }],
    ['application/json', { 'content-type': 'application/json' }],
    ['no content-type', {}],
  ])('reads a JSON event sent with %s', (_, headers) => {
    const read = fromWireMessage(
      structured(
        {
          ...base,
          time: '2026-01-01T00:00:00Z',
          subject: 'weather',
          dataschema: 'flywheel.events.v1.DatasetArrived',
          data: { dataset: 'weather' },
          traceparent,
          principal: 'ops/bob',
        },
        headers,
      ),
    );
    expect(read).toEqual({
      id: 'k-1',
      type: 'dataset.arrived',
      source: 'kcat',
      time: '2026-01-01T00:00:00Z',
      subject: 'weather',
      datacontenttype: contentTypes.json,
      dataschema: 'flywheel.events.v1.DatasetArrived',
      data: utf8.encode('{"dataset":"weather"}'),
      key: 'weather',
      traceparent,
      extensions: { principal: 'ops/bob' },
    });
  });

  it('decodes data_base64 as bytes and keeps the declared content type', () => {
    const read = fromWireMessage(
      structured({
        ...base,
        datacontenttype: 'application/protobuf',
        data_base64: 'AQID',
        partitionkey: 'p',
      }),
    );
    expect(read).toMatchObject({
      datacontenttype: 'application/protobuf',
      data: Buffer.from([1, 2, 3]),
      key: 'p',
    });
  });

  it('keeps string data of a non-JSON type as text, and makes other data JSON', () => {
    expect(fromWireMessage(structured({ ...base, datacontenttype: 'text/plain', data: 'hi' }))).toMatchObject(
      {
        datacontenttype: 'text/plain',
        data: utf8.encode('hi'),
      },
    );
    expect(
      fromWireMessage(structured({ ...base, datacontenttype: 'text/plain', data: { a: 1 } })),
    ).toMatchObject({
      datacontenttype: contentTypes.json,
      data: utf8.encode('{"a":1}'),
    });
    expect(fromWireMessage(structured(base)).data).toEqual(new Uint8Array());
  });

  it('takes the trace context from the headers when the body has none, and the message key first', () => {
    const read = fromWireMessage({
      ...structured(base, { traceparent, tracestate: 'v=1' }),
      key: 'kafka-key',
    });
    expect(read).toMatchObject({ traceparent, tracestate: 'v=1', key: 'kafka-key' });
  });

  it.each([
    ['a value that is not JSON', '{not json', 'not a CloudEvent: value is not JSON'],
    [
      'a value that is not UTF-8',
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      'not a CloudEvent: value is not JSON',
    ],
    ['a JSON array', [base], 'not a CloudEvent: JSON value is not an object'],
    ['JSON null', 'null', 'not a CloudEvent: JSON value is not an object'],
    ['specversion 0.3', { ...base, specversion: '0.3' }, 'specversion: must be "1.0", got "0.3"'],
    ['no id', { ...base, id: '' }, 'id: is required (a non-empty string)'],
    ['a numeric source', { ...base, source: 7 }, 'source: is required (a non-empty string)'],
  ])('rejects %s as invalid_argument', (_, body, message) => {
    expect(() => fromWireMessage(structured(body))).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(message) }),
    );
  });

  it('rejects bytes that are neither mode as invalid_argument', () => {
    expect(() => fromWireMessage(structured(base, { 'content-type': 'text/csv' }))).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        message: 'not a CloudEvent: no ce_specversion header and content-type "text/csv"',
      }),
    );
  });
});

describe('toOutboxEntry', () => {
  it('is the binary-mode wire form with the event id and type as topic', () => {
    const wire = toWireMessage(event);
    expect(toOutboxEntry(event)).toEqual({
      id: 'evt-1',
      topic: 'model.version-registered',
      key: 'churn',
      value: wire.value,
      headers: wire.headers,
    });
    const entry = toOutboxEntry(event);
    expect(fromWireMessage({ key: entry.key, value: entry.value, headers: { ...entry.headers } })).toEqual(
      event,
    );
  });
});
