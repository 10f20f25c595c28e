import { isAppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { predictLogisticRegression, trainLogisticRegression } from './logistic-regression.ts';
import { logLoss, rocAuc } from './metrics.ts';
import { shuffleSplit } from './split.ts';
import { syntheticBinaryData } from './synthetic-data.ts';

function invalidField(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    if (isAppError(error, 'invalid_argument')) return error.field;
    throw error;
  }
  return undefined;
}

describe('trainLogisticRegression', () => {
  const data = syntheticBinaryData({ rows: 4000, seed: 1 });
  const indices = Array.from({ length: data.labels.length }, (_, i) => i);
  const { train, holdout } = shuffleSplit(indices, { holdoutFraction: 0.25, seed: 7 });
  const pick = (rows: number[]) => ({
    featureNames: data.featureNames,
    features: rows.map((i) => data.features[i]!),
    labels: rows.map((i) => data.labels[i]!),
  });
  const trainData = pick(train);
  const holdoutData = pick(holdout);
  const model = trainLogisticRegression(trainData);

  it('converges in a few Newton steps and separates the classes on held-out data', () => {
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(15);
    const probabilities = predictLogisticRegression(model, holdoutData.features);
    const auc = rocAuc(holdoutData.labels, probabilities);
    expect(auc).toBeGreaterThan(0.9);
    // The constant model predicts the training base rate for everyone.
    const baseRate = trainData.labels.reduce((sum, y) => sum + y, 0) / trainData.labels.length;
    const constantLoss = logLoss(
      holdoutData.labels,
      holdoutData.labels.map(() => baseRate),
    );
    const modelLoss = logLoss(holdoutData.labels, probabilities);
    expect(modelLoss).toBeLessThan(constantLoss * 0.6);
  });

  it('recovers the generating coefficients on the standardized scale and ignores the noise feature', () => {
    // The data's logit is 0.3 + 2·age − 2.5·income + 3·ratio in standard units.
    const [age, income, ratio, noise] = model.weights;
    expect(age).toBeGreaterThan(1.6);
    expect(age).toBeLessThan(2.4);
    expect(income).toBeGreaterThan(-2.9);
    expect(income).toBeLessThan(-2.1);
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(3.5);
    expect(Math.abs(noise!)).toBeLessThan(0.2);
    expect(model.means[1]).toBeGreaterThan(59_000);
    expect(model.means[1]).toBeLessThan(61_000);
    expect(model.stds[1]).toBeGreaterThan(14_000);
    expect(model.stds[1]).toBeLessThan(16_000);
  });

  it('reaches the optimum: the gradient of the objective vanishes', () => {
    const n = trainData.labels.length;
    const p = trainData.featureNames.length;
    const probabilities = predictLogisticRegression(model, trainData.features);
    const gradient = new Array<number>(p + 1).fill(0);
    trainData.features.forEach((row, i) => {
      const residual = probabilities[i]! - trainData.labels[i]!;
      row.forEach((value, j) => {
        gradient[j]! += (residual * (value - model.means[j]!)) / model.stds[j]! / n;
      });
      gradient[p]! += residual / n;
    });
    model.weights.forEach((w, j) => {
      gradient[j]! += model.l2 * w;
    });
    for (const component of gradient) expect(Math.abs(component)).toBeLessThan(1e-8);
    expect(model.loss).toBeCloseTo(logLoss(trainData.labels, probabilities), 10);
  });

  it('is deterministic', () => {
    expect(trainLogisticRegression(trainData)).toEqual(model);
  });

  it('gives a constant feature std 1 and weight 0', () => {
    const fitted = trainLogisticRegression({
      featureNames: ['x', 'constant'],
      features: [
        [-2, 5],
        [-1, 5],
        [0, 5],
        [1, 5],
        [2, 5],
        [0.5, 5],
      ],
      labels: [0, 0, 1, 0, 1, 1],
    });
    expect(fitted.means[1]).toBe(5);
    expect(fitted.stds[1]).toBe(1);
    expect(fitted.weights[1]).toBe(0);
    expect(fitted.converged).toBe(true);
  });

  it('stays finite on perfectly separable data thanks to the L2 penalty', () => {
    const fitted = trainLogisticRegression(
      { featureNames: ['x'], features: [[-2], [-1], [1], [2]], labels: [0, 0, 1, 1] },
      { l2: 0.01 },
    );
    expect(fitted.converged).toBe(true);
    expect(Number.isFinite(fitted.weights[0])).toBe(true);
    const [low, high] = predictLogisticRegression(fitted, [[-2], [2]]);
    expect(low).toBeLessThan(0.1);
    expect(high).toBeGreaterThan(0.9);
  });

  it('rejects bad data and options with invalid_argument naming the field', () => {
    const ok = { featureNames: ['a'], features: [[1], [2]], labels: [0, 1] };
    expect(invalidField(() => trainLogisticRegression({ ...ok, featureNames: [] }))).toBe('featureNames');
    expect(
      invalidField(() =>
        trainLogisticRegression({
          ...ok,
          featureNames: ['a', 'a'],
          features: [
            [1, 1],
            [2, 2],
          ],
        }),
      ),
    ).toBe('featureNames[1]');
    expect(invalidField(() => trainLogisticRegression({ ...ok, features: [[1], [2, 3]] }))).toBe(
      'features[1]',
    );
    expect(invalidField(() => trainLogisticRegression({ ...ok, features: [[1], [Number.NaN]] }))).toBe(
      'features[1][0]',
    );
    expect(invalidField(() => trainLogisticRegression({ ...ok, labels: [0, 2] }))).toBe('labels[1]');
    expect(invalidField(() => trainLogisticRegression({ ...ok, labels: [1, 1] }))).toBe('labels');
    expect(invalidField(() => trainLogisticRegression({ ...ok, labels: [1] }))).toBe('labels');
    expect(invalidField(() => trainLogisticRegression(ok, { l2: -1 }))).toBe('l2');
    expect(invalidField(() => trainLogisticRegression(ok, { maxIterations: 0 }))).toBe('maxIterations');
  });
});

describe('trainLogisticRegression with a warm start', () => {
  const data = syntheticBinaryData({ rows: 3000, seed: 3 });
  const older = {
    featureNames: data.featureNames,
    features: data.features.slice(0, 2000),
    labels: data.labels.slice(0, 2000),
  };
  const newer = {
    featureNames: data.featureNames,
    features: data.features.slice(2000),
    labels: data.labels.slice(2000),
  };
  const champion = trainLogisticRegression(older);

  it("starts at the start model's loss on the new rows (same function, this data's scaling), not at ln 2", () => {
    const warm = trainLogisticRegression(newer, { start: champion });
    const championLoss = logLoss(newer.labels, predictLogisticRegression(champion, newer.features));
    expect(warm.warmStarted).toBe(true);
    expect(warm.lossHistory[0]).toBeCloseTo(championLoss, 10);
    expect(warm.lossHistory.at(-1)).toBe(warm.loss);
    expect(warm.loss).toBeLessThanOrEqual(championLoss);
    const cold = trainLogisticRegression(newer);
    expect(cold.warmStarted).toBe(false);
    expect(cold.lossHistory[0]).toBeCloseTo(Math.LN2, 12);
    expect(warm.iterations).toBeLessThanOrEqual(cold.iterations);
  });

  it("pulls towards the start model's weights: a strong penalty keeps them, none fits the new rows alone", () => {
    const kept = trainLogisticRegression(newer, { start: champion, l2: 1e6 });
    // Per raw unit of each feature (the bias is not penalised, so it adapts).
    kept.weights.forEach((w, j) => {
      expect(w / kept.stds[j]!).toBeCloseTo(champion.weights[j]! / champion.stds[j]!, 4);
    });
    const free = trainLogisticRegression(newer, { start: champion, l2: 0 });
    const cold = trainLogisticRegression(newer, { l2: 0 });
    expect(free.loss).toBeCloseTo(cold.loss, 9);
  });

  it('refuses a start model with other features', () => {
    const other = { ...champion, featureNames: [...champion.featureNames].reverse() };
    expect(() => trainLogisticRegression(newer, { start: other })).toThrow(/same features in the same order/);
  });
});
