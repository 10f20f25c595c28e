import type { DescMethod } from '@bufbuild/protobuf';
import { counterOf, histogramOf, type MetricsRegistry, secondsBuckets } from '@flywheel/metrics';
import { status as grpcStatus } from '@grpc/grpc-js';

// RED metrics per RPC under go-grpc-prometheus's names and labels, so the dashboards and alerts
// written for Go and Java gRPC servers work unchanged.

type MethodLabel = 'grpc_type' | 'grpc_service' | 'grpc_method';

/** go-grpc-prometheus's `grpc_type` of each method kind. */
const grpcTypes = {
  unary: 'unary',
  client_streaming: 'client_stream',
  server_streaming: 'server_stream',
  bidi_streaming: 'bidi_stream',
} as const;

/** `grpc_code` as Go's codes.Code String() spells it (`OK`, `InvalidArgument`, …). */
const codeNames: readonly string[] = Object.entries(grpcStatus)
  .filter(([, value]) => typeof value === 'number')
  .sort(([, a], [, b]) => Number(a) - Number(b))
  .map(([name]) =>
    name === 'CANCELLED'
      ? 'Canceled'
      : name === 'OK'
        ? 'OK'
        : name
            .toLowerCase()
            .split('_')
            .map((word) => word[0]?.toUpperCase() + word.slice(1))
            .join(''),
  );

/** The name go-grpc-prometheus gives gRPC status `code` (e.g. 3 → `InvalidArgument`). */
export function grpcCodeName(code: number): string {
  return codeNames[code] ?? 'Unknown';
}

/** One method's metrics, labelled once when the service is added: a call only counts and observes. */
export interface MethodMetrics {
  /** Counts the call started; returns when it started, for {@link MethodMetrics.handled}. */
  started(): number;
  /** Counts the call ended with gRPC status `code` and observes its duration since `startedAt`. */
  handled(startedAt: number, code: number): void;
}

/** The per-method RPC metrics of `registry`: `grpc_server_started_total`, `_handled_total`, `_handling_seconds`. */
export function methodMetricsOf(registry: MetricsRegistry, method: DescMethod): MethodMetrics {
  const labels: Record<MethodLabel, string> = {
    grpc_type: grpcTypes[method.methodKind],
    grpc_service: method.parent.typeName,
    grpc_method: method.name,
  };
  const started = counterOf(registry, {
    name: 'grpc_server_started_total',
    help: 'Total number of RPCs started on the server.',
    labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
  }).labels(labels);
  const handled = counterOf(registry, {
    name: 'grpc_server_handled_total',
    help: 'Total number of RPCs completed on the server, regardless of success or failure.',
    labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
  });
  const seconds = histogramOf(registry, {
    name: 'grpc_server_handling_seconds',
    help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
    labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
    buckets: secondsBuckets,
  }).labels(labels);
  const byCode = new Map<number, { inc(): void }>();
  return {
    started: () => {
      started.inc();
      return performance.now();
    },
    handled: (startedAt, code) => {
      let counter = byCode.get(code);
      if (!counter) {
        counter = handled.labels({ ...labels, grpc_code: grpcCodeName(code) });
        byCode.set(code, counter);
      }
      counter.inc();
      seconds.observe((performance.now() - startedAt) / 1000);
    },
  };
}
