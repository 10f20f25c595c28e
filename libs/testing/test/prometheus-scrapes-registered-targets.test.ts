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
  } finally {
    unregister();
  }
  // Removed: the target goes, and its series are marked stale at once rather than after 5 min.
  await waitForPrometheusQuery(prometheus.url, `up{job="${job}"}`, (s) => s.length === 0, {
    timeoutMs: 60_000,
  });
  await expect(queryPrometheus(prometheus.url, 'up{')).rejects.toBeInstanceOf(PrometheusQueryError);
});
