import { context, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { startTelemetry } from './start-telemetry.ts';
import { extractTraceContext, injectTraceContext } from './trace-context.ts';

// The W3C propagator and async-local context, as a service's main.ts registers them.
const telemetry = startTelemetry({ serviceName: 'trace-context-test' });
afterAll(() => telemetry.shutdown());

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${spanId}-01`;

describe('W3C trace context', () => {
  it('injects the active span as traceparent and extracts the same span context back', () => {
    const span = trace.getTracer('test').startSpan('producer');
    const carrier = context.with(trace.setSpan(context.active(), span), () => injectTraceContext({}));
    span.end();
    const { traceId: t, spanId: s } = span.spanContext();
    expect(carrier.traceparent).toBe(`00-${t}-${s}-01`);
    const extracted = trace.getSpanContext(extractTraceContext(carrier));
    expect(extracted).toMatchObject({ traceId: t, spanId: s, traceFlags: 1, isRemote: true });
  });

  it('injects the given context rather than the active one, and returns the carrier', () => {
    const carrier = { other: 'kept' };
    const returned = injectTraceContext(carrier, extractTraceContext({ traceparent, tracestate: 'k=v' }));
    expect(returned).toBe(carrier);
    expect(returned).toEqual({ other: 'kept', traceparent, tracestate: 'k=v' });
  });

  it('injects nothing outside any span', () => {
    expect(injectTraceContext({})).toEqual({});
  });

  it('continues an extracted traceparent in a child span', () => {
    const parent = extractTraceContext({ traceparent });
    const child = trace.getTracer('test').startSpan('consumer', {}, parent);
    child.end();
    expect(child.spanContext().traceId).toBe(traceId);
    expect(child.spanContext().spanId).not.toBe(spanId);
  });

  it.each([
    ['missing', {}],
    ['garbage', { traceparent: 'not-a-traceparent' }],
    ['all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${spanId}-01` }],
    ['all-zero span id', { traceparent: `00-${traceId}-${'0'.repeat(16)}-01` }],
    ['short trace id', { traceparent: `00-${traceId.slice(2)}-${spanId}-01` }],
    ['version ff', { traceparent: `ff-${traceId}-${spanId}-01` }],
  ])('ignores a %s traceparent: the root context, no span', (_, carrier) => {
    expect(trace.getSpanContext(extractTraceContext(carrier))).toBeUndefined();
  });
});
