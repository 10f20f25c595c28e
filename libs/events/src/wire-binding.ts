import { AppError } from '@flywheel/core';
import { type CloudEvent, contentTypes } from './cloud-event.ts';

/** A message as a broker carries it: key, value bytes, string headers (Kafka, NATS). */
export interface WireMessage {
  key: string | undefined;
  value: Uint8Array;
  headers: Record<string, string>;
}

const structuredContentType = 'application/cloudevents+json';
const required = ['id', 'type', 'source', 'specversion'] as const;
const known = new Set([
  'id',
  'type',
  'source',
  'specversion',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
  'partitionkey',
  'traceparent',
  'tracestate',
]);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Binary content mode of the CloudEvents Kafka binding: attributes in `ce_*` headers, the payload
 * as the value, `content-type` the payload's type, the key the aggregate. `traceparent` and
 * `tracestate` ride as plain headers, as W3C trace-context tools expect.
 */
export function toWireMessage(event: CloudEvent): WireMessage {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_time: event.time,
    'content-type': event.datacontenttype,
  };
  if (event.subject !== undefined) headers.ce_subject = event.subject;
  if (event.dataschema !== undefined) headers.ce_dataschema = event.dataschema;
  if (event.traceparent !== undefined) headers.traceparent = event.traceparent;
  if (event.tracestate !== undefined) headers.tracestate = event.tracestate;
  for (const [name, value] of Object.entries(event.extensions ?? {})) headers[`ce_${name}`] = value;
  return { key: event.key, value: event.data, headers };
}

/**
 * Reads a broker message as a CloudEvent, in binary mode (`ce_*` headers) or structured JSON mode
 * (`content-type: application/cloudevents+json`, or a JSON value with `specversion` and no `ce_`
 * headers — what a hand-written `kcat` producer sends). Throws `invalid_argument` saying what is
 * wrong, for the dead-letter queue.
 */
export function fromWireMessage(message: WireMessage): CloudEvent {
  const h = message.headers;
  if (h.ce_specversion !== undefined) return fromBinaryMode(message);
  const contentType = h['content-type'] ?? '';
  if (
    contentType.startsWith(structuredContentType) ||
    contentType === '' ||
    contentType.startsWith('application/json')
  ) {
    return fromStructuredMode(message);
  }
  throw new AppError(
    'invalid_argument',
    `not a CloudEvent: no ce_specversion header and content-type "${contentType}"`,
  );
}

/**
 * Whether a record of a topic other systems write reads as a CloudEvent: binary mode (a
 * `ce_specversion` header), a `content-type: application/cloudevents+json`, or a JSON object with
 * a string `specversion` (structured mode as a hand-written producer sends it). Anything else — a
 * plain JSON value, text, bytes — is a raw record.
 */
export function isCloudEventMessage(message: WireMessage): boolean {
  const h = message.headers;
  if (h.ce_specversion !== undefined) return true;
  const contentType = h['content-type'] ?? '';
  if (contentType.startsWith(structuredContentType)) return true;
  if (contentType !== '' && !contentType.startsWith('application/json')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8.decode(message.value));
  } catch {
    return false;
  }
  return (
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    typeof (parsed as Record<string, unknown>).specversion === 'string'
  );
}

function fromBinaryMode({ key, value, headers: h }: WireMessage): CloudEvent {
  if (h.ce_specversion !== '1.0')
    throw new AppError('invalid_argument', `unsupported CloudEvents specversion "${h.ce_specversion}"`);
  for (const name of required) {
    if (name !== 'specversion' && !h[`ce_${name}`])
      throw AppError.invalidArgument(`ce_${name}`, 'header is required');
  }
  const extensions: Record<string, string> = {};
  for (const [name, v] of Object.entries(h)) {
    const attr = name.startsWith('ce_') ? name.slice(3) : undefined;
    if (attr !== undefined && !known.has(attr)) extensions[attr] = v;
  }
  return {
    id: h.ce_id!,
    type: h.ce_type!,
    source: h.ce_source!,
    time: h.ce_time ?? new Date().toISOString(),
    ...(h.ce_subject === undefined ? {} : { subject: h.ce_subject }),
    datacontenttype: h['content-type'] ?? contentTypes.protobuf,
    ...(h.ce_dataschema === undefined ? {} : { dataschema: h.ce_dataschema }),
    data: value,
    key: key ?? h.ce_partitionkey ?? h.ce_subject ?? h.ce_id!,
    ...(h.traceparent === undefined ? {} : { traceparent: h.traceparent }),
    ...(h.tracestate === undefined ? {} : { tracestate: h.tracestate }),
    ...(Object.keys(extensions).length ? { extensions } : {}),
  };
}

function fromStructuredMode({ key, value, headers }: WireMessage): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8.decode(value));
  } catch (error) {
    throw new AppError(
      'invalid_argument',
      `not a CloudEvent: value is not JSON (${(error as Error).message})`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('invalid_argument', 'not a CloudEvent: JSON value is not an object');
  }
  const ce = parsed as Record<string, unknown>;
  if (ce.specversion !== '1.0')
    throw AppError.invalidArgument('specversion', `must be "1.0", got ${JSON.stringify(ce.specversion)}`);
  for (const name of required) {
    if (typeof ce[name] !== 'string' || ce[name] === '')
      throw AppError.invalidArgument(name, 'is required (a non-empty string)');
  }
  const str = (name: string): string | undefined =>
    typeof ce[name] === 'string' ? (ce[name] as string) : undefined;
  let data: Uint8Array;
  let datacontenttype = str('datacontenttype') ?? contentTypes.json;
  if (typeof ce.data_base64 === 'string') {
    data = Buffer.from(ce.data_base64, 'base64');
  } else if (ce.data === undefined) {
    data = new Uint8Array();
  } else {
    data = utf8.encode(
      typeof ce.data === 'string' && !datacontenttype.includes('json') ? ce.data : JSON.stringify(ce.data),
    );
    if (!datacontenttype.includes('json') && typeof ce.data !== 'string') datacontenttype = contentTypes.json;
  }
  const extensions: Record<string, string> = {};
  for (const [name, v] of Object.entries(ce)) {
    if (!known.has(name) && typeof v === 'string') extensions[name] = v;
  }
  const traceparent = str('traceparent') ?? headers.traceparent;
  const tracestate = str('tracestate') ?? headers.tracestate;
  const subject = str('subject');
  const dataschema = str('dataschema');
  return {
    id: str('id')!,
    type: str('type')!,
    source: str('source')!,
    time: str('time') ?? new Date().toISOString(),
    ...(subject === undefined ? {} : { subject }),
    datacontenttype,
    ...(dataschema === undefined ? {} : { dataschema }),
    data,
    key: key ?? str('partitionkey') ?? subject ?? str('id')!,
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(tracestate === undefined ? {} : { tracestate }),
    ...(Object.keys(extensions).length ? { extensions } : {}),
  };
}
