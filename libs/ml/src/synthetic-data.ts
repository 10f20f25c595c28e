import { AppError } from '@flywheel/core';
import type { FeatureRow } from './feature-matrix.ts';
import type { LogisticRegressionData } from './logistic-regression.ts';
import { seededRandom } from './seeded-random.ts';

/** A labelled dataset both as a matrix (for trainers) and as named rows (for scorers and serving). */
export interface SyntheticBinaryData extends LogisticRegressionData {
  rows: FeatureRow[];
}

export interface SyntheticBinaryDataOptions {
  /** Number of examples. */
  rows: number;
  /** Same seed, same data. */
  seed: number;
  /** Added to every feature's mean, in units of its standard deviation, to simulate drift; default 0. */
  shift?: number;
}

/**
 * A reproducible binary-classification dataset for demos and tests, with features on very different
 * scales so that standardization matters: `age` (~45 ± 12), `income` (~60 000 ± 15 000), `ratio`
 * (~0.02 ± 0.005) and `noise` (~100 ± 30, unrelated to the label). The label is drawn from a logistic
 * model of the first three, so a well-fitted logistic regression reaches a ROC AUC near 0.93.
 *
 * @throws AppError invalid_argument when `rows` is not a positive integer.
 */
export function syntheticBinaryData(options: SyntheticBinaryDataOptions): SyntheticBinaryData {
  if (!(Number.isInteger(options.rows) && options.rows >= 1)) {
    throw AppError.invalidArgument('rows', `must be a positive integer, got ${options.rows}`);
  }
  const random = seededRandom(options.seed);
  const normal = (): number => {
    // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const shift = options.shift ?? 0;
  const featureNames = ['age', 'income', 'ratio', 'noise'];
  const features: number[][] = [];
  const labels: number[] = [];
  const rows: FeatureRow[] = [];
  for (let i = 0; i < options.rows; i++) {
    const a = normal() + shift;
    const b = normal() + shift;
    const c = normal() + shift;
    const noise = normal() + shift;
    const logit = 0.3 + 2 * a - 2.5 * b + 3 * c;
    const label = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const row = [45 + 12 * a, 60_000 + 15_000 * b, 0.02 + 0.005 * c, 100 + 30 * noise];
    features.push(row);
    labels.push(label);
    rows.push({ age: row[0]!, income: row[1]!, ratio: row[2]!, noise: row[3]! });
  }
  return { featureNames, features, labels, rows };
}
