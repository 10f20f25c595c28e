import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';

/** A flat string map that carries trace context: gRPC metadata, Kafka headers, NATS headers. */
export type Carrier = Record<string, string | undefined>;

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
};
const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Writes the W3C `traceparent`/`tracestate` of `ctx` (default: the active context) into `carrier`. */
export function injectTraceContext(carrier: Carrier, ctx: Context = context.active()): Carrier {
  propagation.inject(ctx, carrier, setter);
  return carrier;
}

/** The context a carrier's `traceparent` continues, or the root context when it has none. */
export function extractTraceContext(carrier: Carrier): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

/**
 * The trace id of the active span (32 lowercase hex digits): the one the SDK started, or, with
 * tracing off, the one an incoming `traceparent` carried. `undefined` when there is none.
 */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? span.traceId : undefined;
}
