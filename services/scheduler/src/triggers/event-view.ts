import { type DescMessage, type JsonObject, type JsonValue, type Message, toJson } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent, eventKindFor } from '@flywheel/events';

/** An event as rules see it: the decoded payload, its JSON form and the CloudEvent attributes. */
export interface EventView {
  readonly event: CloudEvent;
  /** The payload's schema; undefined for the JSON of an outside topic. */
  readonly schema: DescMessage | undefined;
  /** What CEL's `event` is: the decoded message, or the JSON of an outside topic. */
  readonly message: Message | JsonValue;
  /** The payload in the protobuf JSON mapping with proto field names, defaults included; or the JSON. */
  readonly data: JsonValue;
  /** `id type source time subject datacontenttype dataschema` and the extensions. */
  readonly ce: Readonly<Record<string, string>>;
  /** The payload's key field by the `.proto` options (e.g. `model_name`); '' for an outside topic. */
  readonly keyField: string;
}

/**
 * Decodes `event` by the schema registered for its type. Throws `invalid_argument` when the type
 * is not a Flywheel event or the payload does not decode (the consumer dead-letters it).
 */
export function viewOf(event: CloudEvent): EventView {
  const kind = eventKindFor(event.type);
  if (!kind)
    throw new AppError(
      'invalid_argument',
      `event ${event.id} has type ${event.type}, which is not a Flywheel event`,
    );
  const message = decodeEvent(kind.schema, event);
  const data = toJson(kind.schema, message, {
    useProtoFieldName: true,
    alwaysEmitImplicit: true,
  }) as JsonObject;
  return { event, schema: kind.schema, message, data, ce: attributesOf(event), keyField: kind.keyField };
}

const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The view of a record of an outside topic: its JSON (a CloudEvent's data, else the record's
 * value; empty is null). Throws `invalid_argument` saying why when it is not JSON, so the consumer
 * dead-letters it with that reason.
 */
export function jsonViewOf(event: CloudEvent, topic: string): EventView {
  let data: JsonValue = null;
  if (event.data.length > 0) {
    try {
      data = JSON.parse(fromUtf8.decode(event.data)) as JsonValue;
    } catch (error) {
      throw new AppError(
        'invalid_argument',
        `record ${event.id} of topic ${topic} is not JSON (content type ${event.datacontenttype}): ${(error as Error).message}`,
      );
    }
  }
  return { event, schema: undefined, message: data, data, ce: attributesOf(event), keyField: '' };
}

function attributesOf(event: CloudEvent): Record<string, string> {
  return {
    ...event.extensions,
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    subject: event.subject ?? '',
    datacontenttype: event.datacontenttype,
    dataschema: event.dataschema ?? '',
  };
}

/**
 * The value at a dotted path: `ce.<attribute>` for a CloudEvent attribute, else a path into the
 * payload's JSON (`model_name`, `labels.env`, `inputs.0`). Undefined when absent.
 */
export function valueAt(view: EventView, path: string): JsonValue | undefined {
  if (path.startsWith('ce.')) return view.ce[path.slice(3)];
  let current: JsonValue | undefined = view.data;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object') current = current[segment];
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * The aggregate key of the event: its CloudEvent subject, else the payload's key field ('' when
 * it has neither); for an outside topic's record the subject, else its broker key (its id when
 * it has none).
 */
export function aggregateKeyOf(view: EventView): string {
  if (view.event.subject) return view.event.subject;
  if (view.schema === undefined) return view.event.key; // an outside record: its key, else its id
  const value = valueAt(view, view.keyField);
  return typeof value === 'string' ? value : '';
}

/**
 * Checks that `path` can name something in events of `schema`: `ce.<attribute>`, or proto field
 * names down message fields (maps, lists and Structs are not looked into); without a schema (an
 * outside topic) any dotted path. Throws `invalid_argument` naming `field`.
 */
export function checkEventPath(schema: DescMessage | undefined, path: string, field: string): void {
  if (path.startsWith('ce.')) {
    if (path.length > 3) return;
    throw AppError.invalidArgument(field, '"ce." must name a CloudEvent attribute, e.g. ce.subject');
  }
  if (schema === undefined) {
    // An outside topic's JSON has no schema: only the shape of the path can be checked.
    if (path.split('.').every((segment) => segment !== '')) return;
    throw AppError.invalidArgument(field, `"${path}": want a dotted path such as city or reading.value`);
  }
  let message: DescMessage | undefined = schema;
  for (const segment of path.split('.')) {
    if (!message) {
      throw AppError.invalidArgument(field, `"${path}": cannot look into a scalar at "${segment}"`);
    }
    const found: DescMessage['fields'][number] | undefined = message.fields.find((f) => f.name === segment);
    if (!found) {
      const known = message.fields.map((f) => f.name).join(', ');
      throw AppError.invalidArgument(
        field,
        `"${path}": ${message.typeName} has no field "${segment}" (fields: ${known})`,
      );
    }
    if (found.fieldKind === 'map' || found.fieldKind === 'list') return;
    if (found.fieldKind !== 'message') {
      message = undefined;
      continue;
    }
    const typeName: string = found.message.typeName;
    if (typeName === 'google.protobuf.Struct' || typeName === 'google.protobuf.Value') return;
    message = typeName.startsWith('google.protobuf.') ? undefined : found.message;
  }
}
