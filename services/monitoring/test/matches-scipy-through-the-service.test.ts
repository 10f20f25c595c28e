// Drift decided as scipy decides it, on the path the service runs: each case's reference is set
// from a dataset (profile building), its window is logged as predictions (window accumulation and
// evaluation), and the stored result is compared with scipy (test/oracle/scipy_drift.py, run in
// the test venv: FLYWHEEL_PYTHON) at the same thresholds. Seeded, so every run draws the same data.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriftTestKind, FeatureKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, driftCases, largeAndRealCases } from './drift-cases.ts';
import { type MonitoringHarness, startMonitoring } from './monitoring-harness.ts';
import { jsonLines } from './weather-data.ts';

const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
const oracle = join(import.meta.dirname, 'oracle', 'scipy_drift.py');

const cases = [...driftCases, ...largeAndRealCases];
const thresholds = { psi: 0.2, ks: 0.01, js: 0.1, wasserstein: 0.1, chiSquare: 0.01 };

interface Outcome {
  statistic: number;
  pValue: number;
}
interface Expected {
  undecidable?: string;
  ks?: Outcome;
  chiSquare?: Outcome;
  wasserstein?: number;
  psi: number;
  js: number;
  referenceCount: number;
  windowCount: number;
}

function scipy(all: readonly Case[]): Expected[] {
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
  return JSON.parse(execFileSync(python, [oracle, file], { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

/** Within 1e-6, relatively for p-values (they span hundreds of orders of magnitude). */
function expectClose(actual: number, expected: number, what: string, relative = false): void {
  const tolerance = relative ? Math.max(1e-6 * Math.abs(expected), 1e-300) : 1e-6;
  expect(Math.abs(actual - expected), `${what}: ${actual} vs scipy ${expected}`).toBeLessThanOrEqual(
    tolerance,
  );
}

const numericTests = [
  { kind: DriftTestKind.PSI, threshold: thresholds.psi },
  { kind: DriftTestKind.KS, threshold: thresholds.ks },
  { kind: DriftTestKind.JENSEN_SHANNON, threshold: thresholds.js },
  { kind: DriftTestKind.WASSERSTEIN, threshold: thresholds.wasserstein },
];
const categoricalTests = [
  { kind: DriftTestKind.PSI, threshold: thresholds.psi },
  { kind: DriftTestKind.CHI_SQUARE, threshold: thresholds.chiSquare },
  { kind: DriftTestKind.JENSEN_SHANNON, threshold: thresholds.js },
];

describe('drift decisions equal scipy’s, through profile building and window evaluation', () => {
  let h: MonitoringHarness;
  let expected: Expected[];

  beforeAll(async () => {
    expected = scipy(cases);
    h = await startMonitoring({ env: { FLYWHEEL_MONITORING_MAX_WINDOW_SAMPLES: '100000' } });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it.each(cases.map((c, i) => [c.name, i] as const))(
    '%s',
    async (name, i) => {
      const c = cases[i]!;
      const want = expected[i]!;
      const model = `oracle-${name}`;
      await h.client.createMonitor({
        monitor: {
          name: `m-${i}`,
          modelName: model,
          features: [
            {
              name: 'x',
              kind: c.kind === 'numeric' ? FeatureKind.NUMERIC : FeatureKind.CATEGORICAL,
              tests: c.kind === 'numeric' ? numericTests : categoricalTests,
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
        { what: `the window of ${name}`, timeoutMs: 150_000 },
      );
      const result = report.results[0]!;
      expect(Number(result.sampleCount)).toBe(want.windowCount);
      expect(Number(result.referenceCount)).toBe(want.referenceCount);
      const test = (kind: DriftTestKind) => result.tests.find((t) => t.kind === kind)!;
      const psi = test(DriftTestKind.PSI);
      expectClose(psi.statistic, want.psi, 'PSI');
      expect(psi.drifted, 'PSI decision').toBe(want.psi >= thresholds.psi);
      const js = test(DriftTestKind.JENSEN_SHANNON);
      expectClose(js.statistic, want.js, 'JS');
      expect(js.drifted, 'JS decision').toBe(want.js >= thresholds.js);
      if (c.kind === 'numeric') {
        const ks = test(DriftTestKind.KS);
        expectClose(ks.statistic, want.ks!.statistic, 'KS D');
        expectClose(ks.pValue, want.ks!.pValue, 'KS p', true);
        expect(ks.drifted, 'KS decision').toBe(want.ks!.pValue < thresholds.ks);
        const w = test(DriftTestKind.WASSERSTEIN);
        expectClose(w.statistic, want.wasserstein!, 'Wasserstein / σ');
        expect(w.drifted, 'Wasserstein decision').toBe(want.wasserstein! >= thresholds.wasserstein);
      } else {
        const chi = test(DriftTestKind.CHI_SQUARE);
        expectClose(chi.statistic, want.chiSquare!.statistic, 'χ²');
        expectClose(chi.pValue, want.chiSquare!.pValue, 'χ² p', true);
        expect(chi.drifted, 'χ² decision').toBe(want.chiSquare!.pValue < thresholds.chiSquare);
      }
    },
    180_000,
  );

  it.each([
    ['numeric', FeatureKind.NUMERIC, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null]],
    ['categorical', FeatureKind.CATEGORICAL, [null]],
  ] as const)(
    'a %s window of nothing but missing values: scipy cannot decide, and the service tests nothing, saying why',
    async (kind, featureKind, missing) => {
      const c: Case = {
        name: `empty-${kind}`,
        kind,
        reference: kind === 'numeric' ? cases[0]!.reference : ['a', 'b', 'a', 'c'],
        window: Array.from({ length: 120 }, (_, i) => missing[i % missing.length]!),
      };
      const [want] = scipy([c]);
      expect(want!.undecidable, 'scipy refuses an empty sample').toBeDefined();
      const model = `oracle-empty-${kind}`;
      await h.client.createMonitor({
        monitor: {
          name: `m-empty-${kind}`,
          modelName: model,
          features: [
            { name: 'x', kind: featureKind, tests: kind === 'numeric' ? numericTests : categoricalTests },
          ],
          window: { size: c.window.length, minSamples: 50 },
          enabled: true,
        },
      });
      const uri = await h.putBlob(jsonLines(c.reference.map((x) => ({ x }))));
      await h.client.setReferenceProfile({
        modelName: model,
        modelVersion: 1n,
        source: { case: 'dataset', value: { uri } },
      });
      await h.logPredictions({ modelName: model, modelVersion: 1, rows: c.window.map((x) => ({ x })) });
      const report = await waitFor(
        async () => {
          const r = await h.client.getDriftReport({ modelName: model });
          return r.untested.length > 0 ? r : undefined;
        },
        { what: `the empty ${kind} window to be reported untested` },
      );
      expect(report.results).toHaveLength(0);
      expect(report.untested.map((u) => [u.feature, u.reason])).toEqual([
        ['x', '0 samples, fewer than the 50 needed'],
      ]);
    },
  );
});
