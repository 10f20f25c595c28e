import { AppError } from '@flywheel/core';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { startTelemetry } from '@flywheel/telemetry/sdk';
import { waitFor } from '@flywheel/testing';
import { type Span, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { dlqHeaders, dlqTopicOf } from './event-bus.ts';
import { handleEvents } from './handle-events.ts';
import { createMemoryBus } from './memory/memory-bus.ts';

/** What the SDK's span objects carry beyond the API: enough to check kind and parent. */
type SdkSpan = Span & { kind: SpanKind; parentSpanContext?: { spanId: string; traceId: string } };

const event = (topic: string, body: string, extra: Partial<CloudEvent> = {}): CloudEvent => ({
  id: newEventId(),
  type: topic,
  source: 'test',
  time: new Date().toISOString(),
  datacontenttype: 'text/plain',
  data: new TextEncoder().encode(body),
  key: 'k',
  ...extra,
});

describe('handleEvents', () => {
  const telemetry = startTelemetry({ serviceName: 'bus-test' });
  const bus = createMemoryBus();
  afterAll(async () => {
    await bus.close();
    await telemetry.shutdown();
  });

  it('acks what the handler handled and dead-letters what it rejected', async () => {
    const topic = 'handle.ack-nack';
    const good = event(topic, 'good');
    const bad = event(topic, 'bad');
    await bus.publish([good, bad]);
    const stop = new AbortController();
    const seen: string[] = [];
    const running = handleEvents(
      bus.subscribe({ topics: [topic], group: 'g' }),
      async (e) => {
        seen.push(e.id);
        if (e.id === bad.id) throw AppError.invalidArgument('data', 'is bad');
      },
      { signal: stop.signal },
    );
    const letters = await waitFor(
      () => bus.retained(dlqTopicOf(topic)).length === 1 && bus.retained(dlqTopicOf(topic)),
    );
    expect(letters[0]!.headers.ce_id).toBe(bad.id);
    expect(letters[0]!.headers[dlqHeaders.reason]).toContain('invalid_argument: data: is bad');
    stop.abort();
    await running;
    expect(seen).toEqual([good.id, bad.id]);
    const again = bus.subscribe({ topics: [topic], group: 'g' });
    const next = again[Symbol.asyncIterator]().next();
    await again.close();
    expect((await next).done).toBe(true);
  });

  it('continues the publisher’s trace: PRODUCER span on publish, CONSUMER span around the handler', async () => {
    const topic = 'handle.trace';
    const tracer = trace.getTracer('test');
    let requestTraceId = '';
    await tracer.startActiveSpan('request', async (span) => {
      requestTraceId = span.spanContext().traceId;
      await bus.publish([event(topic, 'traced')]);
      span.end();
    });
    const published = bus.retained(topic)[0]!;
    const [, traceId, producerSpanId] = published.headers.traceparent!.split('-');
    expect(traceId).toBe(requestTraceId);

    const stop = new AbortController();
    let consumer: SdkSpan | undefined;
    const running = handleEvents(
      bus.subscribe({ topics: [topic], group: 'g' }),
      async () => {
        consumer = trace.getActiveSpan() as SdkSpan;
        stop.abort();
      },
      { signal: stop.signal },
    );
    await running;
    expect(consumer!.kind).toBe(SpanKind.CONSUMER);
    expect(consumer!.spanContext().traceId).toBe(requestTraceId);
    expect(consumer!.parentSpanContext?.spanId).toBe(producerSpanId);
  });

  it('keeps a traceparent the event already carries', async () => {
    const topic = 'handle.keep-trace';
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await trace.getTracer('test').startActiveSpan('other', async (span) => {
      await bus.publish([event(topic, 'relayed', { traceparent })]);
      span.end();
    });
    expect(bus.retained(topic)[0]!.headers.traceparent).toBe(traceparent);
  });

  it('on shutdown lets the handler in flight see the signal and hands its event back instead of dead-lettering it', async () => {
    const topic = 'handle.shutdown';
    const interrupted = event(topic, 'slow');
    await bus.publish([interrupted]);
    const stop = new AbortController();
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const running = handleEvents(
      bus.subscribe({ topics: [topic], group: 'g' }),
      async (_e, { signal }) => {
        started();
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        );
      },
      { signal: stop.signal },
    );
    await handlerStarted;
    stop.abort();
    await running;
    expect(bus.retained(dlqTopicOf(topic))).toHaveLength(0);
    const again = bus.subscribe({ topics: [topic], group: 'g' });
    const { value } = await again[Symbol.asyncIterator]().next();
    expect(value?.event.id).toBe(interrupted.id);
    await value?.ack();
    await again.close();
  });
});
