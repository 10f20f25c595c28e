import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  DriftTestKind,
  type DriftTestSchema,
  FeatureKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, driftCases } from './drift-cases.ts';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines } from './weather-data.ts';

const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

/** The thresholds the monitor's tests decide at (and the oracle's decisions are compared at). */
export interface OracleThresholds {
  psi: number;
  ks: number;
  js: number;
  wasserstein: number;
  chiSquare: number;
}

/** One Python oracle of the drift statistics, and how the service is asked to follow it. */
export interface DriftOracle {
  /** The describe block's title. */
  title: string;
  /** The script in test/oracle/ (run with FLYWHEEL_PYTHON): cases JSON file in, one result per case out. */
  script: string;
  /** Named in assertion messages: "PSI: <actual> vs <label> <expected>". */
  label: string;
  /** Prefixes of each case's model name and monitor name (every case shares one service). */
  modelPrefix: string;
  monitorPrefix: string;
  thresholds: OracleThresholds;
  /** The drift tests of the monitored feature for a case of this kind. */
  tests(kind: Case['kind']): MessageInitShape<typeof DriftTestSchema>[];
  /** KS drifts when its p-value is below the threshold (`<`) or at most it (`<=`). */
  ksDriftsAt: '<' | '<=';
  /** What messages call the statistics whose definitions differ between oracles. */
  names: { js: string; ksDecision: string; wasserstein: string; chiSquare: string };
  /** Also expect PSI's stored threshold to be `thresholds.psi` (the convention's default). */
  checksPsiThreshold?: boolean;
  /** Cases run after the shared `driftCases` (e.g. large and real-data ones). */
  extraCases?: readonly Case[];
  /** Settings of the monitoring service the cases run on. */
  env?: Readonly<Record<string, string>>;
  /** How long one case may wait for its result, ms. Default 60 s (vitest's per-case timeout: 3×). */
  resultTimeoutMs?: number;
  /** More tests in the same describe, on the same service, registered before the cases. */
  more?(harness: () => MonitoringHarness, oracle: (cases: readonly Case[]) => Expected[]): void;
}

interface Outcome {
  statistic: number | null;
  pValue: number;
}
/** One oracle result: the statistics, or `undecidable` when the oracle refuses the case (an empty sample). */
export interface Expected {
  undecidable?: string;
  ks?: Outcome;
  chiSquare?: Outcome;
  wasserstein?: number;
  psi: number;
  js: number;
  referenceCount: number;
  windowCount: number;
}

function runOracle(script: string, all: readonly Case[]): Expected[] {
  const file = join(mkdtempSync(join(tmpdir(), 'flywheel-oracle-')), 'cases.json');
  // JSON has no NaN or ∞: the oracle drops them as missing, so null stands for them.
  writeFileSync(
    file,
    JSON.stringify({
      cases: all.map((c) => ({
        ...c,
        window: c.window.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
      })),
    }),
  );
  const path = join(import.meta.dirname, 'oracle', script);
  return JSON.parse(execFileSync(python, [path, file], { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

/**
 * The oracle suite of one Python oracle: each drift case's reference is set from a dataset
 * (profile building), its window logged as predictions (window accumulation and evaluation), and
 * the stored result compared with the oracle's within 1e-6 (relatively for p-values), decisions
 * at `thresholds`. One monitoring service in the test's process for all cases.
 */
export function describeDriftOracle(oracle: DriftOracle): void {
  const { thresholds, names } = oracle;
  /** Within 1e-6, relatively for p-values (they span hundreds of orders of magnitude). */
  const expectClose = (actual: number, expected: number, what: string, relative = false): void => {
    const tolerance = relative ? Math.max(1e-6 * Math.abs(expected), 1e-300) : 1e-6;
    expect(
      Math.abs(actual - expected),
      `${what}: ${actual} vs ${oracle.label} ${expected}`,
    ).toBeLessThanOrEqual(tolerance);
  };
  const ksDrifted = (p: number): boolean =>
    oracle.ksDriftsAt === '<' ? p < thresholds.ks : p <= thresholds.ks;

  const cases = [...driftCases, ...(oracle.extraCases ?? [])];
  const resultTimeoutMs = oracle.resultTimeoutMs ?? 60_000;

  describe(oracle.title, () => {
    let h: MonitoringHarness;
    let expected: Expected[];

    beforeAll(async () => {
      expected = runOracle(oracle.script, cases);
      h = await startMonitoring(oracle.env ? { env: { ...oracle.env } } : {});
    }, 60_000);
    afterAll(async () => {
      await h?.stop();
    });

    oracle.more?.(
      () => h,
      (some) => runOracle(oracle.script, some),
    );

    it.each(cases.map((c, i) => [c.name, i] as const))(
      '%s',
      async (name, i) => {
        const c = cases[i]!;
        const want = expected[i]!;
        const model = `${oracle.modelPrefix}${name}`;
        await h.client.createMonitor({
          monitor: {
            name: `${oracle.monitorPrefix}${i}`,
            modelName: model,
            features: [
              {
                name: 'x',
                kind: c.kind === 'numeric' ? FeatureKind.NUMERIC : FeatureKind.CATEGORICAL,
                tests: oracle.tests(c.kind),
              },
            ],
            window: { size: c.window.length, minSamples: Math.min(c.window.length, 50) },
            enabled: true,
          },
        });
        const uri = await h.putBlob(jsonLines(c.reference.map((x) => ({ x }))));
        await h.client.setReferenceProfile({
          modelName: model,
          modelVersion: 1n,
          source: { case: 'dataset', value: { uri } },
        });
        for (let start = 0; start < c.window.length; start += 2000) {
          const rows = c.window.slice(start, start + 2000).map((x) => ({ x }));
          await h.logPredictions({ modelName: model, modelVersion: 1, rows });
        }
        const report = await waitFor(
          async () => {
            const r = await h.client.getDriftReport({ modelName: model });
            return r.results.length === 1 ? r : undefined;
          },
          { what: `the window of ${name}`, timeoutMs: resultTimeoutMs },
        );
        const result = report.results[0]!;
        expect(Number(result.sampleCount)).toBe(want.windowCount);
        expect(Number(result.referenceCount)).toBe(want.referenceCount);
        const test = (kind: DriftTestKind) => result.tests.find((t) => t.kind === kind)!;
        const psi = test(DriftTestKind.PSI);
        expectClose(psi.statistic, want.psi, 'PSI');
        if (oracle.checksPsiThreshold) expect(psi.threshold).toBe(thresholds.psi);
        expect(psi.drifted, 'PSI decision').toBe(want.psi >= thresholds.psi);
        const js = test(DriftTestKind.JENSEN_SHANNON);
        expectClose(js.statistic, want.js, names.js);
        expect(js.drifted, 'JS decision').toBe(want.js >= thresholds.js);
        if (c.kind === 'numeric') {
          const ks = test(DriftTestKind.KS);
          expectClose(ks.statistic, want.ks!.statistic!, 'KS D');
          expectClose(ks.pValue, want.ks!.pValue, 'KS p', true);
          expect(ks.drifted, names.ksDecision).toBe(ksDrifted(want.ks!.pValue));
          const w = test(DriftTestKind.WASSERSTEIN);
          expectClose(w.statistic, want.wasserstein!, names.wasserstein);
          expect(w.drifted, 'Wasserstein decision').toBe(want.wasserstein! >= thresholds.wasserstein);
        } else {
          const chi = test(DriftTestKind.CHI_SQUARE);
          // A category the reference lacks (Evidently's goodness of fit): +∞, stored as the largest double.
          if (want.chiSquare!.statistic === null) expect(chi.statistic).toBe(Number.MAX_VALUE);
          else expectClose(chi.statistic, want.chiSquare!.statistic, names.chiSquare);
          expectClose(chi.pValue, want.chiSquare!.pValue, 'χ² p', true);
          expect(chi.drifted, 'χ² decision').toBe(want.chiSquare!.pValue < thresholds.chiSquare);
        }
      },
      3 * resultTimeoutMs,
    );
  });
}
