import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics of one service: a prom-client Registry whose every series carries `service=<name>`. */
export type MetricsRegistry = Registry;

/**
 * A registry for one service host. One per service, never prom-client's global one: the six
 * services of an embedded process each expose their own, with the same metric names, without
 * colliding. `processMetrics` (default true) adds prom-client's default process and Node.js
 * metrics (CPU, memory, event-loop lag, GC).
 */
export function createMetricsRegistry(service: string, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/**
 * The counter `name` of `registry`, made on first use: the kernel, the bus and a service's wiring
 * each ask for their metrics by name, and one registry holds each once.
 */
export function counterOf<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & {
    /** Sets the values at each scrape, from where they are kept (made on first use only). */
    collect?: (this: Counter<L>) => void | Promise<void>;
  },
): Counter<L> {
  const found = registry.getSingleMetric(spec.name);
  if (found) return found as Counter<L>;
  return new Counter<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] });
}

/** The gauge `name` of `registry`, made on first use (see {@link counterOf}). */
export function gaugeOf<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & {
    /** Sets the values at each scrape, from where they are kept (made on first use only). */
    collect?: (this: Gauge<L>) => void | Promise<void>;
  },
): Gauge<L> {
  const found = registry.getSingleMetric(spec.name);
  if (found) return found as Gauge<L>;
  return new Gauge<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] });
}

/** The histogram `name` of `registry` with `buckets` (upper bounds), made on first use (see {@link counterOf}). */
export function histogramOf<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & { buckets: readonly number[] },
): Histogram<L> {
  const found = registry.getSingleMetric(spec.name);
  if (found) return found as Histogram<L>;
  return new Histogram<L>({
    ...spec,
    labelNames: spec.labelNames ?? [],
    buckets: [...spec.buckets],
    registers: [registry],
  });
}

/** Seconds buckets for calls and handlers: 1 ms … 1 min. */
export const secondsBuckets: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Seconds buckets for long work (pipeline runs, the closed loop's lead time): 1 s … 2 h. */
export const longSecondsBuckets: readonly number[] = [
  1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200,
];
