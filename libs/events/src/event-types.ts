import {
  create,
  type DescMessage,
  fromBinary,
  fromJsonString,
  getOption,
  hasOption,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import type { GenFile } from '@bufbuild/protobuf/codegenv2';
import { AppError } from '@flywheel/core';
import { file_flywheel_events_v1_data } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { file_flywheel_events_v1_deployment } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { file_flywheel_events_v1_model } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { file_flywheel_events_v1_monitoring } from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import { event_key, event_type } from '@flywheel/proto/flywheel/events/v1/options_pb.js';
import { file_flywheel_events_v1_pipeline } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { file_flywheel_events_v1_prediction } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { file_flywheel_events_v1_quality } from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import { injectTraceContext } from '@flywheel/telemetry';
import { type CloudEvent, contentTypes, newEventId } from './cloud-event.ts';
import { signedIfConfigured } from './event-signature.ts';
import { principalExtensions } from './principal-extensions.ts';

/** What the `.proto` says about one event: its type (= topic) and the field that is its key. */
export interface EventKind<S extends DescMessage = DescMessage> {
  readonly type: string;
  readonly keyField: string;
  readonly schema: S;
}

const kinds = new Map<string, EventKind>();
const kindBySchema = new WeakMap<DescMessage, EventKind>();

function register(file: GenFile): void {
  for (const schema of file.messages) {
    if (!hasOption(schema, event_type)) continue;
    const kind: EventKind = {
      type: getOption(schema, event_type),
      keyField: getOption(schema, event_key),
      schema,
    };
    kinds.set(kind.type, kind);
    kindBySchema.set(schema, kind);
  }
}
for (const file of [
  file_flywheel_events_v1_data,
  file_flywheel_events_v1_deployment,
  file_flywheel_events_v1_model,
  file_flywheel_events_v1_monitoring,
  file_flywheel_events_v1_pipeline,
  file_flywheel_events_v1_prediction,
  file_flywheel_events_v1_quality,
]) {
  register(file);
}

/** Every event type Flywheel defines, from the `(flywheel.events.v1.event_type)` options. */
export function eventTypes(): string[] {
  return [...kinds.keys()].sort();
}

/** The kind of an event payload schema; throws `internal` for a message that is not an event. */
export function eventKindOf<S extends DescMessage>(schema: S): EventKind<S> {
  const kind = kindBySchema.get(schema);
  if (!kind)
    throw new AppError('internal', `${schema.typeName} has no (flywheel.events.v1.event_type) option`);
  return kind as EventKind<S>;
}

/** The kind registered for a CloudEvent type, or undefined. */
export function eventKindFor(type: string): EventKind | undefined {
  return kinds.get(type);
}

export interface NewEventOptions {
  /** The producer, e.g. `flywheel/registry`. */
  source: string;
  id?: string;
  time?: Date;
  /**
   * Further CloudEvents extension attributes. The acting principal's (`authid`, `authtype`,
   * `authteams`, `onbehalfof`) are added from the kernel's acting scope and cannot be overridden.
   */
  extensions?: Readonly<Record<string, string>>;
}

/**
 * A CloudEvent carrying `payload` as protobuf: type and key from the schema's options, the
 * active trace context as `traceparent`, the acting principal as extension attributes, a fresh
 * id unless given; signed when a signer for its source is installed (see installEventSigner).
 */
export function newEvent<S extends DescMessage>(
  schema: S,
  payload: MessageInitShape<S>,
  options: NewEventOptions,
): CloudEvent {
  const kind = eventKindOf(schema);
  const message = create(schema, payload);
  const key = String((message as Record<string, unknown>)[camel(kind.keyField)] ?? '');
  const trace = injectTraceContext({});
  const extensions = { ...options.extensions, ...principalExtensions() };
  return signedIfConfigured({
    id: options.id ?? newEventId(),
    type: kind.type,
    source: options.source,
    time: (options.time ?? new Date()).toISOString(),
    ...(key ? { subject: key } : {}),
    datacontenttype: contentTypes.protobuf,
    dataschema: schema.typeName,
    data: toBinary(schema, message),
    key,
    ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
    ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    ...(Object.keys(extensions).length ? { extensions } : {}),
  });
}

/**
 * The payload of `event` as a `schema` message, from protobuf bytes or from JSON (the protobuf
 * JSON mapping, as a structured-mode producer such as kcat sends). Throws `invalid_argument`
 * saying why, for the dead-letter queue.
 */
export function decodeEvent<S extends DescMessage>(schema: S, event: CloudEvent): MessageShape<S> {
  const kind = eventKindOf(schema);
  if (event.type !== kind.type) {
    throw new AppError('invalid_argument', `event ${event.id} is a ${event.type}, expected ${kind.type}`);
  }
  try {
    if (event.datacontenttype.includes('json')) {
      return fromJsonString(schema, new TextDecoder().decode(event.data), { ignoreUnknownFields: false });
    }
    return fromBinary(schema, event.data);
  } catch (error) {
    throw new AppError(
      'invalid_argument',
      `event ${event.id} (${event.type}) payload does not decode as ${schema.typeName}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
