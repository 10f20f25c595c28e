import { messageOf } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import { extractTraceContext, injectTraceContext } from '@flywheel/telemetry';
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Delivery } from './event-bus.ts';

const tracer = () => trace.getTracer('@flywheel/bus');

/** `messaging.system` of an adapter: `kafka`, `nats`, or `flywheel-memory` for the embedded bus. */
export type MessagingSystem = 'kafka' | 'nats' | 'flywheel-memory';

/**
 * Runs `send` in a PRODUCER span and gives every event without a `traceparent` the span's trace
 * context, so the consumer's span continues this trace. Events that carry one (relayed from an
 * outbox, forwarded) keep theirs. A no-op when no OpenTelemetry SDK is registered.
 */
export async function tracePublish(
  system: MessagingSystem,
  events: readonly CloudEvent[],
  send: (events: readonly CloudEvent[]) => Promise<void>,
): Promise<void> {
  const topics = [...new Set(events.map((event) => event.type))];
  const attributes: Attributes = {
    'messaging.system': system,
    'messaging.operation.type': 'send',
    'messaging.batch.message_count': events.length,
  };
  if (topics.length === 1) attributes['messaging.destination.name'] = topics[0]!;
  const name = topics.length === 1 ? `send ${topics[0]}` : 'send';
  return tracer().startActiveSpan(name, { kind: SpanKind.PRODUCER, attributes }, async (span) => {
    try {
      const ctx = trace.setSpan(context.active(), span);
      await send(
        events.map((event) => (event.traceparent === undefined ? withTraceContext(event, ctx) : event)),
      );
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `handle` in a CONSUMER span whose parent is the event's `traceparent` (a new trace when it
 * has none), with that span active, and ends it with the handler's outcome.
 */
export async function traceProcessing<T>(delivery: Delivery, handle: () => Promise<T>): Promise<T> {
  const { event, topic, group } = delivery;
  const parent = extractTraceContext({ traceparent: event.traceparent, tracestate: event.tracestate });
  const attributes: Attributes = {
    'messaging.operation.type': 'process',
    'messaging.destination.name': topic,
    'messaging.consumer.group.name': group,
    'messaging.message.id': event.id,
    'messaging.message.delivery_attempt': delivery.attempt,
    'cloudevents.event_type': event.type,
  };
  return tracer().startActiveSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes },
    parent,
    async (span) => {
      try {
        return await handle();
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function withTraceContext(event: CloudEvent, ctx: ReturnType<typeof context.active>): CloudEvent {
  const carrier = injectTraceContext({}, ctx);
  if (carrier.traceparent === undefined) return event;
  return {
    ...event,
    traceparent: carrier.traceparent,
    ...(carrier.tracestate === undefined ? {} : { tracestate: carrier.tracestate }),
  };
}

function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: messageOf(error),
  });
}
