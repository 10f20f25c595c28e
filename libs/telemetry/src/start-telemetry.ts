import { createRequire } from 'node:module';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

// The network exporters are loaded only when configured: most processes export nothing, and
// loading them costs a start ~100 ms of CPU. (Synchronously, so startTelemetry stays synchronous.)
const require = createRequire(import.meta.url);
type OtlpExporterModule = typeof import('@opentelemetry/exporter-trace-otlp-proto');
type ZipkinExporterModule = typeof import('@opentelemetry/exporter-zipkin');

export const telemetryExporters = ['console', 'otlp-proto', 'otlp-json', 'zipkin'] as const;
export type TelemetryExporter = (typeof telemetryExporters)[number];

/** Where Zipkin's HTTP collector listens by default (Zipkin v2 JSON). */
export const defaultZipkinEndpoint = 'http://127.0.0.1:9411/api/v2/spans';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /**
   * Where spans go, any of: `console`; OTLP over HTTP with protobuf (`otlp-proto`: Jaeger, Tempo,
   * collectors) or JSON (`otlp-json`); Zipkin v2 JSON (`zipkin`). None (the default): spans are
   * made for the trace context but not exported.
   */
  exporters?: readonly TelemetryExporter[];
  /** OTLP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  otlpEndpoint?: string;
  /** Zipkin's span collector, default {@link defaultZipkinEndpoint}. */
  zipkinEndpoint?: string;
}

export interface Telemetry {
  /** Exports every span ended so far. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Reads a `FLYWHEEL_TELEMETRY` value: `off`, one exporter, or a comma list of them
 * (`otlp-proto,zipkin`). The problem says what is wrong without naming the variable, which the
 * caller's config reader adds.
 */
export function parseTelemetryExporters(
  text: string,
): { exporters: TelemetryExporter[]; problem?: undefined } | { exporters?: undefined; problem: string } {
  const items = text.split(',').map((item) => item.trim());
  if (items.length === 1 && items[0] === 'off') return { exporters: [] };
  const expected = `off, or one or more (comma-separated) of ${telemetryExporters.join(', ')}`;
  const exporters: TelemetryExporter[] = [];
  for (const item of items) {
    if (item === 'off') return { problem: `cannot combine off with exporters, got "${text}"` };
    if (!(telemetryExporters as readonly string[]).includes(item)) {
      return { problem: `must be ${expected}, got "${text}"` };
    }
    const exporter = item as TelemetryExporter;
    if (exporters.includes(exporter)) return { problem: `names ${exporter} twice, got "${text}"` };
    exporters.push(exporter);
  }
  if (exporters.includes('otlp-proto') && exporters.includes('otlp-json')) {
    return {
      problem: `takes one of otlp-proto and otlp-json (both send to FLYWHEEL_OTLP_ENDPOINT), got "${text}"`,
    };
  }
  return { exporters };
}

function networkExporter(
  exporter: Exclude<TelemetryExporter, 'console'>,
  options: TelemetryOptions,
): SpanExporter {
  if (exporter === 'zipkin') {
    const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as ZipkinExporterModule;
    // The span's service is the resource's service.name (Zipkin's localEndpoint.serviceName).
    return new ZipkinExporter({ url: options.zipkinEndpoint ?? defaultZipkinEndpoint });
  }
  const { OTLPTraceExporter } = require(
    exporter === 'otlp-proto'
      ? '@opentelemetry/exporter-trace-otlp-proto'
      : '@opentelemetry/exporter-trace-otlp-http',
  ) as OtlpExporterModule;
  return new OTLPTraceExporter(options.otlpEndpoint === undefined ? {} : { url: options.otlpEndpoint });
}

/**
 * Starts the OpenTelemetry SDK for this process: a tracer provider, the W3C trace-context
 * propagator and async-local context. Only a service's main.ts (or a test harness) calls this;
 * libraries use `@opentelemetry/api` alone, which is a no-op until this runs.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const spanProcessors: SpanProcessor[] = [];
  for (const exporter of options.exporters ?? []) {
    if (exporter === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    // One batch per exporter: a backend that is down or slow holds back only its own spans.
    else
      spanProcessors.push(
        new BatchSpanProcessor(networkExporter(exporter, options), { scheduledDelayMillis: 500 }),
      );
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion ?? '0.1.0',
    }),
    spanProcessors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
