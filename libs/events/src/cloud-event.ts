/** CloudEvents 1.0 `datacontenttype` values Flywheel produces and accepts. */
export const contentTypes = {
  protobuf: 'application/protobuf',
  json: 'application/json',
} as const;

/**
 * A CloudEvents 1.0 event as Flywheel carries it. `type` is also the topic; `key` is the
 * aggregate (model name, feature view…) that orders events of one thing; `data` holds the
 * encoded payload (protobuf bytes, or UTF-8 JSON text for `application/json`).
 */
export interface CloudEvent {
  readonly id: string;
  /** Event type and topic, past tense: `model.version-registered`. */
  readonly type: string;
  /** URI-reference of the producer: `flywheel/registry`. */
  readonly source: string;
  /** RFC 3339 timestamp of the occurrence. */
  readonly time: string;
  readonly subject?: string;
  readonly datacontenttype: string;
  /** Protobuf full name of the payload message: `flywheel.events.v1.ModelVersionRegistered`. */
  readonly dataschema?: string;
  readonly data: Uint8Array;
  /** Partition / ordering key. */
  readonly key: string;
  /** W3C trace context of the operation that produced the event. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** Further CloudEvents extension attributes (lower-case alphanumeric names), e.g. `principal`. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** A new event id: random UUID, unique across producers. */
export function newEventId(): string {
  return crypto.randomUUID();
}
