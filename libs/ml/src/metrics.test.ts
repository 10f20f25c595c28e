import { isAppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { accuracy, binaryClassificationMetrics, brierScore, logLoss, rocAuc } from './metrics.ts';

// Worked by hand: positives score {0.9, 0.6, 0.4}, negatives {0.2, 0.4}.
const labels = [1, 0, 1, 1, 0];
const probabilities = [0.9, 0.2, 0.6, 0.4, 0.4];

describe('binary classification metrics', () => {
  it('log loss is the mean negative log-likelihood in nats', () => {
    const expected = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.6) + Math.log(0.4) + Math.log(0.6)) / 5;
    expect(logLoss(labels, probabilities)).toBeCloseTo(expected, 12);
    expect(logLoss(labels, probabilities)).toBeCloseTo(0.4532892, 6);
  });

  it('log loss clips certainty so one confident mistake is finite', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(logLoss([1, 0], [1, 0])).toBeCloseTo(0, 12);
  });

  it('accuracy counts probability ≥ threshold as class 1', () => {
    // Predictions 1,0,1,0,0: only the positive scored 0.4 is wrong.
    expect(accuracy(labels, probabilities)).toBe(0.8);
    expect(accuracy([1], [0.5])).toBe(1);
    expect(accuracy(labels, probabilities, { threshold: 0.7 })).toBe(0.6);
  });

  it('ROC AUC counts a tie between a positive and a negative as one half', () => {
    // 6 positive/negative pairs: 5 ordered right, (0.4, 0.4) tied → 5.5 / 6.
    expect(rocAuc(labels, probabilities)).toBeCloseTo(5.5 / 6, 12);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // Scores need not be probabilities.
    expect(rocAuc([0, 1, 1], [-3, 7, 12])).toBe(1);
  });

  it('Brier score is the mean squared error of the probabilities', () => {
    // (0.1² + 0.2² + 0.4² + 0.6² + 0.4²) / 5 = 0.73 / 5
    expect(brierScore(labels, probabilities)).toBeCloseTo(0.146, 12);
  });

  it('gathers all metrics in one call', () => {
    const metrics = binaryClassificationMetrics(labels, probabilities);
    expect(metrics.count).toBe(5);
    expect(metrics.positiveRate).toBe(0.6);
    expect(metrics.accuracy).toBe(0.8);
    expect(metrics.rocAuc).toBeCloseTo(5.5 / 6, 12);
    expect(metrics.brierScore).toBeCloseTo(0.146, 12);
    expect(metrics.logLoss).toBeCloseTo(0.4532892, 6);
  });

  it('rejects bad input with invalid_argument naming the field', () => {
    const fieldOf = (call: () => unknown): string | undefined => {
      try {
        call();
      } catch (error) {
        if (isAppError(error, 'invalid_argument')) return error.field;
        throw error;
      }
      return undefined;
    };
    expect(fieldOf(() => logLoss([], []))).toBe('labels');
    expect(fieldOf(() => logLoss([1, 0], [0.5]))).toBe('probabilities');
    expect(fieldOf(() => brierScore([1, 2], [0.5, 0.5]))).toBe('labels[1]');
    expect(fieldOf(() => logLoss([1, 0], [0.5, 1.5]))).toBe('probabilities[1]');
    expect(fieldOf(() => rocAuc([1, 0], [0.5, Number.NaN]))).toBe('probabilities[1]');
    expect(fieldOf(() => rocAuc([1, 1], [0.5, 0.6]))).toBe('labels');
  });
});
