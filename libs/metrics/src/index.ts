export type { Counter, Gauge, Histogram } from 'prom-client';
export { sendMetrics } from './metrics-endpoint.ts';
export type { MetricsRegistry } from './service-registry.ts';
export {
  counterOf,
  createMetricsRegistry,
  gaugeOf,
  histogramOf,
  longSecondsBuckets,
  secondsBuckets,
} from './service-registry.ts';
