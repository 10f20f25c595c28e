/** Outcomes of one version's requests since its window started (a canary step). */
export interface VersionWindow {
  readonly requests: number;
  readonly errors: number;
  /** p99 of the latencies kept (the latest `maxSamples`), ms; 0 with no requests. */
  readonly p99Ms: number;
  /** Predictions joined to ground truth, and how many were right. */
  readonly labelled: number;
  readonly correct: number;
}

/**
 * Per-deployment, per-version request outcomes for rollout checks: latency and errors come from
 * the request path, correctness from `ground-truth.received` joined by request id. Only versions
 * someone watches (`watch`) are recorded, so the request path pays one map lookup otherwise.
 */
export interface TrafficStats {
  /** Starts (or restarts) the window of a version: its counts go back to zero. */
  watch(deployment: string, version: number): void;
  /** Stops recording a deployment's versions. */
  unwatch(deployment: string): void;
  record(deployment: string, version: number, ok: boolean, latencyNs: bigint): void;
  recordLabel(deployment: string, version: number, correct: boolean): void;
  window(deployment: string, version: number): VersionWindow;
}

interface Window {
  requests: number;
  errors: number;
  latenciesMs: number[];
  next: number;
  labelled: number;
  correct: number;
}

/** Keeps at most `maxSamples` latencies per version (a ring), so memory stays bounded. */
export function createTrafficStats(options: { maxSamples?: number } = {}): TrafficStats {
  const maxSamples = options.maxSamples ?? 10_000;
  const windows = new Map<string, Map<number, Window>>();
  const find = (deployment: string, version: number) => windows.get(deployment)?.get(version);
  return {
    watch(deployment, version) {
      const versions = windows.get(deployment) ?? new Map<number, Window>();
      windows.set(deployment, versions);
      versions.set(version, { requests: 0, errors: 0, latenciesMs: [], next: 0, labelled: 0, correct: 0 });
    },
    unwatch: (deployment) => void windows.delete(deployment),
    record(deployment, version, ok, latencyNs) {
      const window = find(deployment, version);
      if (!window) return;
      window.requests++;
      if (!ok) window.errors++;
      const ms = Number(latencyNs) / 1e6;
      if (window.latenciesMs.length < maxSamples) window.latenciesMs.push(ms);
      else {
        window.latenciesMs[window.next] = ms;
        window.next = (window.next + 1) % maxSamples;
      }
    },
    recordLabel(deployment, version, correct) {
      const window = find(deployment, version);
      if (!window) return;
      window.labelled++;
      if (correct) window.correct++;
    },
    window(deployment, version) {
      const window = find(deployment, version);
      if (!window) return { requests: 0, errors: 0, p99Ms: 0, labelled: 0, correct: 0 };
      return {
        requests: window.requests,
        errors: window.errors,
        p99Ms: quantile(window.latenciesMs, 0.99),
        labelled: window.labelled,
        correct: window.correct,
      };
    },
  };
}

/** The q-quantile (nearest rank) of `values`; 0 when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
