// Drift decided as scipy decides it, on the path the service runs: each case's reference is set
// from a dataset (profile building), its window is logged as predictions (window accumulation and
// evaluation), and the stored result is compared with scipy (test/oracle/scipy_drift.py, run in
// the test venv: FLYWHEEL_PYTHON) at the same thresholds. Seeded, so every run draws the same data.
import { DriftTestKind } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { describeDriftOracle } from './drift-oracle-driver.ts';

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
});
