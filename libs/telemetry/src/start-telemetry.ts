import { createRequire } from 'node:module';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

// The OTLP exporters are loaded only when configured: most processes run with `off`, and loading
// them costs a start ~100 ms of CPU. (Synchronously, so startTelemetry stays synchronous.)
const require = createRequire(import.meta.url);
type OtlpExporterModule = typeof import('@opentelemetry/exporter-trace-otlp-proto');

export const telemetryExporters = ['off', 'console', 'otlp-proto', 'otlp-json'] as const;
export type TelemetryExporter = (typeof telemetryExporters)[number];

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** `off` (default), `console`, or OTLP over HTTP with protobuf (Jaeger, Tempo, collectors) or JSON. */
  exporter: TelemetryExporter;
  /** OTLP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  otlpEndpoint?: string;
}

export interface Telemetry {
  /** Exports every span ended so far. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for this process: a tracer provider, the W3C trace-context
 * propagator and async-local context. Only a service's main.ts (or a test harness) calls this;
 * libraries use `@opentelemetry/api` alone, which is a no-op until this runs.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  if (options.exporter === 'otlp-proto' || options.exporter === 'otlp-json') {
    const config = options.otlpEndpoint === undefined ? {} : { url: options.otlpEndpoint };
    const { OTLPTraceExporter } = require(
      options.exporter === 'otlp-proto'
        ? '@opentelemetry/exporter-trace-otlp-proto'
        : '@opentelemetry/exporter-trace-otlp-http',
    ) as OtlpExporterModule;
    const exporter = new OTLPTraceExporter(config);
    spanProcessors.push(new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 }));
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
