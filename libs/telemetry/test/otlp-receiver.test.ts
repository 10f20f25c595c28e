import { startTelemetry } from '@flywheel/telemetry/sdk';
import { startOtlpReceiver, waitFor } from '@flywheel/testing';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { expect, it } from 'vitest';

it('receives the spans the OTLP/JSON exporter sends, with parents and services', async () => {
  const receiver = await startOtlpReceiver();
  const telemetry = startTelemetry({
    serviceName: 'probe',
    exporters: ['otlp-json'],
    otlpEndpoint: receiver.endpoint,
  });
  const tracer = trace.getTracer('test');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
  const ctx = trace.setSpan(context.active(), parent);
  const child = tracer.startSpan('child', { attributes: { answer: 42 } }, ctx);
  child.end();
  parent.end();
  await telemetry.flush();
  await waitFor(() => receiver.spans.length === 2, { what: 'two spans' });
  const [c, p] = [
    receiver.spans.find((s) => s.name === 'child')!,
    receiver.spans.find((s) => s.name === 'parent')!,
  ];
  expect(c.traceId).toBe(parent.spanContext().traceId);
  expect(c.parentSpanId).toBe(p.spanId);
  expect(c.attributes.answer).toBe(42);
  expect(p.kind).toBe(2);
  expect(p.service).toBe('probe');
  await telemetry.shutdown();
  await receiver.close();
});
