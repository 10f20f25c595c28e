// Performance metrics against hand-computed values.
import { describe, expect, it } from 'vitest';
import {
  binaryClassificationMetrics,
  logLoss,
  multiclassAccuracy,
  regressionMetrics,
  rocAuc,
} from '../src/statistics/performance-metrics.ts';

describe('performance metrics', () => {
  it('binary: confusion-matrix metrics at the decision threshold', () => {
    // Predictions at 0.5: [1, 1, 0, 0, 1] vs labels [1, 0, 0, 1, 1]: TP 2, FP 1, TN 1, FN 1.
    const metrics = binaryClassificationMetrics([1, 0, 0, 1, 1], [0.9, 0.6, 0.2, 0.4, 0.7], 0.5);
    expect(metrics.accuracy).toBeCloseTo(3 / 5, 12);
    expect(metrics.precision).toBeCloseTo(2 / 3, 12);
    expect(metrics.recall).toBeCloseTo(2 / 3, 12);
    expect(metrics.f1).toBeCloseTo(2 / 3, 12);
    // Pairs (pos, neg) ranked right: 0.9 beats both negatives, 0.7 both, 0.4 beats 0.2 only → 5 of 6.
    expect(metrics.auc).toBeCloseTo(5 / 6, 12);
    expect(metrics.log_loss).toBeCloseTo(
      -(Math.log(0.9) + Math.log(0.4) + Math.log(0.8) + Math.log(0.4) + Math.log(0.7)) / 5,
      12,
    );
  });

  it('AUC counts ties as one half and is undefined for one class', () => {
    expect(rocAuc([1, 0], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.9])).toBeUndefined();
  });

  it('log loss clips certain mistakes instead of returning Infinity', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 8);
  });

  it('scores outside [0, 1] get no log loss', () => {
    expect(binaryClassificationMetrics([1, 0], [3, -2], 0.5).log_loss).toBeUndefined();
  });

  it('multiclass accuracy and regression errors', () => {
    expect(multiclassAccuracy(['a', 'b', 'c'], ['a', 'b', 'a']).accuracy).toBeCloseTo(2 / 3, 12);
    const regression = regressionMetrics([1, 2, 3], [1, 2, 5]);
    expect(regression.rmse).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(regression.mae).toBeCloseTo(2 / 3, 12);
    // SS_res = 4, SS_tot = 2 → r2 = 1 − 2 = −1.
    expect(regression.r2).toBeCloseTo(-1, 12);
  });
});
