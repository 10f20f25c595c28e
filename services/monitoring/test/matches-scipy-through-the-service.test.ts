// Drift decided as scipy decides it, on the path the service runs: each case's reference is set
// from a dataset (profile building), its window is logged as predictions (window accumulation and
// evaluation), and the stored result is compared with scipy (test/oracle/scipy_drift.py, run in
// the test venv: FLYWHEEL_PYTHON) at the same thresholds. Seeded, so every run draws the same data.
import { DriftTestKind, FeatureKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { waitFor } from '@flywheel/testing';
import { expect, it } from 'vitest';
import { type Case, driftCases, largeAndRealCases } from './drift-cases.ts';
import { describeDriftOracle } from './drift-oracle-driver.ts';
import { jsonLines } from './weather-data.ts';

const thresholds = { psi: 0.2, ks: 0.01, js: 0.1, wasserstein: 0.1, chiSquare: 0.01 };

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

describeDriftOracle({
  title: 'drift decisions equal scipy’s, through profile building and window evaluation',
  script: 'scipy_drift.py',
  label: 'scipy',
  modelPrefix: 'oracle-',
  monitorPrefix: 'm-',
  thresholds,
  tests: (kind) => (kind === 'numeric' ? numericTests : categoricalTests),
  ksDriftsAt: '<',
  names: { js: 'JS', ksDecision: 'KS decision', wasserstein: 'Wasserstein / σ', chiSquare: 'χ²' },
  extraCases: largeAndRealCases,
  env: { FLYWHEEL_MONITORING_MAX_WINDOW_SAMPLES: '100000' },
  resultTimeoutMs: 150_000,
  more: (harness, scipy) => {
    it.each([
      [
        'numeric',
        FeatureKind.NUMERIC,
        [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null],
      ],
      ['categorical', FeatureKind.CATEGORICAL, [null]],
    ] as const)(
      'a %s window of nothing but missing values: scipy cannot decide, and the service tests nothing, saying why',
      async (kind, featureKind, missing) => {
        const h = harness();
        const c: Case = {
          name: `empty-${kind}`,
          kind,
          reference: kind === 'numeric' ? driftCases[0]!.reference : ['a', 'b', 'a', 'c'],
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
  },
});
