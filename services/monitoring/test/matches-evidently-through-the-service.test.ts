// Evidently's numbers, reproduced on the path the service runs: each oracle case's reference is
// set from a dataset, its window logged as predictions, and the stored result of tests in
// DRIFT_CONVENTION_EVIDENTLY is compared with Evidently 0.7.23's formulas computed by numpy and
// scipy (test/oracle/evidently_drift.py, test venv: FLYWHEEL_PYTHON) at Evidently's default
// thresholds (threshold 0). bench/monitoring checks the same cases against Evidently itself.
import {
  DriftConvention,
  DriftTestKind,
  FeatureKind,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { expect, it } from 'vitest';
import { describeDriftOracle } from './drift-oracle-driver.ts';

const evidentlyTest = (kind: DriftTestKind) => ({ kind, convention: DriftConvention.EVIDENTLY });
const numericTests = [
  DriftTestKind.PSI,
  DriftTestKind.KS,
  DriftTestKind.JENSEN_SHANNON,
  DriftTestKind.WASSERSTEIN,
];
const categoricalTests = [DriftTestKind.PSI, DriftTestKind.CHI_SQUARE, DriftTestKind.JENSEN_SHANNON];

describeDriftOracle({
  title: 'Evidently-convention drift equals Evidently’s, through profile building and window evaluation',
  script: 'evidently_drift.py',
  label: 'Evidently',
  modelPrefix: 'evidently-',
  monitorPrefix: 'e-',
  /** Evidently 0.7.23's StatTest default thresholds. */
  thresholds: { psi: 0.1, ks: 0.05, js: 0.1, wasserstein: 0.1, chiSquare: 0.05 },
  tests: (kind) => (kind === 'numeric' ? numericTests : categoricalTests).map(evidentlyTest),
  ksDriftsAt: '<=',
  names: {
    js: 'JS (natural log)',
    ksDecision: 'KS decision (p ≤ threshold)',
    wasserstein: 'Wasserstein / max(σ, 0.001)',
    chiSquare: 'χ² goodness of fit',
  },
  checksPsiThreshold: true,
  more: (harness) => {
    it('keeps the convention on the monitor', async () => {
      const h = harness();
      await h.client.createMonitor({
        monitor: {
          name: 'round-trip',
          modelName: 'round-trip',
          features: [{ name: 'x', kind: FeatureKind.NUMERIC, tests: [evidentlyTest(DriftTestKind.PSI)] }],
          window: { size: 100 },
          enabled: true,
        },
      });
      const { monitor } = await h.client.getMonitor({ monitorName: 'round-trip' });
      expect(monitor?.features[0]?.tests[0]?.convention).toBe(DriftConvention.EVIDENTLY);
    });
  },
});
