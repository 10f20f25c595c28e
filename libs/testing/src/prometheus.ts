import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WaitForOptions } from './wait-for.ts';

const jobPattern = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Tells the Prometheus of `scripts/servers/servers.sh` to scrape `targets` (`host:port`) as job
 * `job`: writes `<dir>/<job>.json`, a file_sd target group, into `dir`
 * (`FLYWHEEL_PROMETHEUS_TARGETS_DIR`), which Prometheus watches. Written whole and renamed, so it
 * never reads half a file. Returns a function that removes it (stop scraping). `scrapeEvery`
 * (a Prometheus duration, e.g. `5s`) overrides the server's 1 s interval and timeout for these
 * targets: on a loaded 2-core host a service's /metrics (which asks the bus for consumer lag) can
 * take longer than a second, and a scrape that times out records nothing.
 */
export function registerPrometheusTargets(
  dir: string,
  job: string,
  targets: readonly string[],
  options: { metricsPath?: string; labels?: Readonly<Record<string, string>>; scrapeEvery?: string } = {},
): () => void {
  if (!jobPattern.test(job)) throw new Error(`job must match ${jobPattern.source}, got "${job}"`);
  const labels = {
    ...options.labels,
    job,
    __metrics_path__: options.metricsPath ?? '/metrics',
    ...(options.scrapeEvery
      ? { __scrape_interval__: options.scrapeEvery, __scrape_timeout__: options.scrapeEvery }
      : {}),
  };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${job}.json`);
  // Not *.json until renamed: Prometheus reads only files that match its pattern.
  const partial = join(dir, `.${job}.json.${process.pid}.tmp`);
  writeFileSync(partial, JSON.stringify([{ targets, labels }], null, 2));
  renameSync(partial, file);
  return () => rmSync(file, { force: true });
}

/** One series of an instant query's vector: its labels and its value. */
export interface PrometheusSample {
  metric: Record<string, string>;
  value: number;
}

/** Prometheus refused a query (bad PromQL, not an instant vector): polling again cannot help. */
export class PrometheusQueryError extends Error {}

/** Runs an instant query (`GET /api/v1/query`); a query Prometheus refuses (bad PromQL) throws. */
export async function queryPrometheus(url: string, promql: string): Promise<PrometheusSample[]> {
  const endpoint = new URL('/api/v1/query', url);
  endpoint.searchParams.set('query', promql);
  const response = await fetch(endpoint, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success')
    throw new PrometheusQueryError(`Prometheus refused ${promql}: ${body.error ?? response.status}`);
  if (body.data?.resultType !== 'vector') {
    throw new PrometheusQueryError(`${promql} is a ${body.data?.resultType}, not an instant vector`);
  }
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/**
 * Polls `promql` at the Prometheus at `url` (`FLYWHEEL_PROMETHEUS_URL`) until its result
 * satisfies `predicate`, with a deadline (scrapes are every second; a new target is found within
 * seconds). A query Prometheus refuses fails at once; the timeout error shows the last result.
 */
export async function waitForPrometheusQuery(
  url: string,
  promql: string,
  predicate: (samples: readonly PrometheusSample[]) => boolean,
  options: WaitForOptions = {},
): Promise<PrometheusSample[]> {
  const { timeoutMs = 30_000, intervalMs = 500, what = promql } = options;
  const deadline = Date.now() + timeoutMs;
  let samples: PrometheusSample[] = [];
  let lastError: unknown;
  for (;;) {
    try {
      samples = await queryPrometheus(url, promql);
      if (predicate(samples)) return samples;
    } catch (error) {
      if (error instanceof PrometheusQueryError) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}: last result ${JSON.stringify(samples).slice(0, 500)}`,
        { cause: lastError },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
