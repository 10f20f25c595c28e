import { expect, it } from 'vitest';
import {
  PrometheusQueryError,
  queryPrometheus,
  realServers,
  registerPrometheusTargets,
  uniqueName,
  waitForPrometheusQuery,
} from '../src/index.ts';

it('the real Prometheus scrapes a target registered at run time, answers PromQL on it, and stops when it is removed', async () => {
  const { prometheus, zipkinUrl } = realServers();
  const job = uniqueName('scrape-probe');
  // A real exposition to scrape: the real Zipkin's own metrics, at /prometheus.
  const zipkin = new URL(zipkinUrl).host;
  const unregister = registerPrometheusTargets(prometheus.targetsDir, job, [zipkin], {
    metricsPath: '/prometheus',
    scrapeEvery: '5s',
  });
  try {
    const up = await waitForPrometheusQuery(prometheus.url, `up{job="${job}"}`, (s) => s[0]?.value === 1, {
      timeoutMs: 60_000,
    });
    expect(up).toEqual([{ metric: { __name__: 'up', job, instance: zipkin }, value: 1 }]);
    // What the target exposes is queryable under the registered job, with PromQL on top.
    const heap = await waitForPrometheusQuery(
      prometheus.url,
      `sum by (job) (jvm_memory_used_bytes{job="${job}", area="heap"})`,
      (s) => (s[0]?.value ?? 0) > 0,
      { timeoutMs: 30_000 },
    );
    expect(heap[0]?.metric).toEqual({ job });
    // Scraped at the interval and timeout the registration asked for, not the server's 1 s.
    const targets = (await (await fetch(new URL('/api/v1/targets?state=active', prometheus.url))).json()) as {
      data: {
        activeTargets: { labels: Record<string, string>; scrapeInterval: string; scrapeTimeout: string }[];
      };
    };
    expect(targets.data.activeTargets.find((t) => t.labels.job === job)).toMatchObject({
      scrapeInterval: '5s',
      scrapeTimeout: '5s',
    });
  } finally {
    unregister();
  }
  // Removed: the target goes, and its series are marked stale at once rather than after 5 min.
  await waitForPrometheusQuery(prometheus.url, `up{job="${job}"}`, (s) => s.length === 0, {
    timeoutMs: 60_000,
  });
  await expect(queryPrometheus(prometheus.url, 'up{')).rejects.toBeInstanceOf(PrometheusQueryError);
});
