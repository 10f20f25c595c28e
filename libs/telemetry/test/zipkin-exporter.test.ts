import { parseTelemetryExporters, startTelemetry } from '@flywheel/telemetry/sdk';
import { realServers, startOtlpReceiver, waitFor, waitForZipkinTrace } from '@flywheel/testing';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { expect, it } from 'vitest';

it('FLYWHEEL_TELEMETRY=otlp-json,zipkin: the same spans reach an OTLP receiver and the real Zipkin, with parents and the service', async () => {
  const servers = realServers();
  const receiver = await startOtlpReceiver();
  const { exporters } = parseTelemetryExporters('otlp-json,zipkin');
  const telemetry = startTelemetry({
    serviceName: 'zipkin-probe',
    exporters: exporters!,
    otlpEndpoint: receiver.endpoint,
    zipkinEndpoint: new URL('/api/v2/spans', servers.zipkinUrl).href,
  });
  try {
    const tracer = trace.getTracer('test');
    const parent = tracer.startSpan('Parent', { kind: SpanKind.SERVER });
    const child = tracer.startSpan(
      'Child',
      { attributes: { answer: 42 } },
      trace.setSpan(context.active(), parent),
    );
    child.end();
    parent.end();
    await telemetry.flush();
    const { traceId, spanId } = parent.spanContext();
    const spans = await waitForZipkinTrace(servers.zipkinUrl, traceId, (s) => s.length === 2, {
      timeoutMs: 30_000,
    });
    // Zipkin lower-cases span names; the service is the resource's service.name.
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect(byName.get('parent')).toMatchObject({
      id: spanId,
      kind: 'SERVER',
      localEndpoint: { serviceName: 'zipkin-probe' },
    });
    expect(byName.get('parent')?.parentId).toBeUndefined();
    expect(byName.get('child')).toMatchObject({
      parentId: spanId,
      localEndpoint: { serviceName: 'zipkin-probe' },
      tags: { answer: '42' },
    });
    await waitFor(() => receiver.spans.filter((s) => s.traceId === traceId).length === 2, {
      what: 'two OTLP spans',
    });
  } finally {
    await telemetry.shutdown();
    await receiver.close();
  }
});
