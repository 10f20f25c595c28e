import { AppError } from '@flywheel/core';

/**
 * Binary logistic regression, Flywheel's built-in trainer.
 *
 * Features are standardized with the training data's mean and standard deviation, then the model
 * minimises the L2-regularised mean log loss
 *
 *     J(w, b) = mean_i[ softplus(z_i) − y_i·z_i ] + (l2 / 2)·‖w‖²,   z_i = w·x̃_i + b,
 *
 * where x̃ is the standardized row and the bias b is not penalised. The fit is Newton's method
 * (IRLS) with a backtracking line search: deterministic, and for l2 > 0 the objective is strictly
 * convex, so it converges to the one optimum, quadratically near it.
 */

/** A labelled numeric feature matrix. */
export interface LogisticRegressionData {
  /** Column names, unique; they become the ONNX model's input names. */
  featureNames: readonly string[];
  /** One row per example, one finite number per feature, in `featureNames` order. */
  features: readonly (readonly number[])[];
  /** 0 or 1 per row; both classes must occur. */
  labels: readonly number[];
}

export interface LogisticRegressionOptions {
  /** L2 penalty strength on the standardized weights (the l2 in J above); default 1e-4, ≥ 0. */
  l2?: number;
  /** Newton iterations at most; default 100. */
  maxIterations?: number;
  /** Converged when every gradient component of J is within this; default 1e-9. */
  tolerance?: number;
  /**
   * Warm start (continual learning): a model fitted before on the same features, e.g. the
   * champion. Newton starts from its decision function, re-expressed on this data's
   * standardization (so the first loss is the prior model's loss on this data), and the L2 penalty
   * pulls towards its weights instead of towards 0: J = mean log loss + (l2 / 2)·‖w − w₀‖², so
   * what it learnt carries over where the new data says little.
   */
  start?: LogisticRegressionStart;
}

/** The coefficients of a fitted model on its own standardization (as exported to ONNX). */
export interface LogisticRegressionStart {
  featureNames: readonly string[];
  means: readonly number[];
  stds: readonly number[];
  weights: readonly number[];
  bias: number;
}

/** A fitted model; everything needed to predict or to export it. */
export interface LogisticRegressionModel {
  featureNames: readonly string[];
  /** Per-feature training mean, subtracted before weighting. */
  means: readonly number[];
  /** Per-feature training standard deviation (population), divided by; 1 for a constant feature. */
  stds: readonly number[];
  /** Per-feature weight on the standardized feature. */
  weights: readonly number[];
  bias: number;
  /** The penalty the model was fitted with. */
  l2: number;
  /** Newton steps taken. */
  iterations: number;
  /** Whether the gradient reached `tolerance` within `maxIterations`. */
  converged: boolean;
  /** Final mean log loss on the training data (nats, without the penalty). */
  loss: number;
  /** Final value of the regularised objective J. */
  objective: number;
}

/** What a fit returns: the model and how it got there. */
export interface LogisticRegressionFit extends LogisticRegressionModel {
  /** Mean log loss before each Newton step and after the last: [0] is where the fit started. */
  lossHistory: number[];
  /** Whether it started from `options.start`. */
  warmStarted: boolean;
}

/**
 * Fits a binary logistic regression.
 *
 * @throws AppError invalid_argument when the data is empty or ragged, holds a non-finite value, a
 *   label other than 0/1 or only one class, feature names are empty or repeated, or an option is out
 *   of range.
 */
export function trainLogisticRegression(
  data: LogisticRegressionData,
  options: LogisticRegressionOptions = {},
): LogisticRegressionFit {
  const l2 = options.l2 ?? 1e-4;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-9;
  if (!(l2 >= 0 && Number.isFinite(l2))) throw AppError.invalidArgument('l2', `must be ≥ 0, got ${l2}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw AppError.invalidArgument('maxIterations', `must be an integer ≥ 1, got ${maxIterations}`);
  }
  if (!(tolerance > 0)) throw AppError.invalidArgument('tolerance', `must be > 0, got ${tolerance}`);
  checkData(data);

  const n = data.features.length;
  const p = data.featureNames.length;
  const { means, stds } = standardization(data.features, p);
  // Standardized rows, row-major, with a trailing 1 for the bias: n × (p + 1).
  const d = p + 1;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = data.features[i]!;
    for (let j = 0; j < p; j++) x[i * d + j] = (row[j]! - means[j]!) / stds[j]!;
    x[i * d + p] = 1;
  }
  const y = Float64Array.from(data.labels);
  // θ₀ and the penalty's centre: 0, or the start model's decision function on this standardization.
  const prior = options.start
    ? startOnStandardization(options.start, data.featureNames, means, stds)
    : undefined;
  const centre = prior ?? new Float64Array(d);

  const objectiveAt = (theta: Float64Array): { loss: number; objective: number } => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const z = dot(x, i * d, theta, d);
      loss += softplus(z) - y[i]! * z;
    }
    loss /= n;
    let penalty = 0;
    for (let j = 0; j < p; j++) penalty += (theta[j]! - centre[j]!) ** 2;
    return { loss, objective: loss + (l2 / 2) * penalty };
  };

  let theta: Float64Array = prior ? Float64Array.from(prior) : new Float64Array(d);
  let current = objectiveAt(theta);
  const lossHistory = [current.loss];
  let iterations = 0;
  let converged = false;
  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  for (;;) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      const offset = i * d;
      const probability = sigmoid(dot(x, offset, theta, d));
      const residual = probability - y[i]!;
      const weight = probability * (1 - probability);
      for (let j = 0; j < d; j++) {
        const xij = x[offset + j]!;
        gradient[j]! += residual * xij;
        const scaled = weight * xij;
        for (let k = 0; k <= j; k++) hessian[j * d + k]! += scaled * x[offset + k]!;
      }
    }
    for (let j = 0; j < d; j++) {
      gradient[j]! /= n;
      for (let k = 0; k <= j; k++) {
        hessian[j * d + k]! /= n;
        hessian[k * d + j] = hessian[j * d + k]!;
      }
    }
    for (let j = 0; j < p; j++) {
      gradient[j]! += l2 * (theta[j]! - centre[j]!);
      hessian[j * d + j]! += l2;
    }
    if (maxAbs(gradient) <= tolerance) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;

    const step = solvePositiveDefinite(hessian, gradient, d);
    const slope = dotArrays(gradient, step); // > 0: the Newton direction descends
    let t = 1;
    let next: Float64Array | undefined;
    let nextValue = current;
    for (let halvings = 0; halvings < 40; halvings++, t /= 2) {
      const candidate = theta.map((value, j) => value - t * step[j]!);
      const value = objectiveAt(candidate);
      if (value.objective <= current.objective - 1e-4 * t * slope) {
        next = candidate;
        nextValue = value;
        break;
      }
    }
    iterations++;
    // No step decreases J any more: θ is optimal to floating-point precision.
    if (next === undefined) {
      converged = maxAbs(gradient) <= Math.sqrt(tolerance);
      break;
    }
    theta = next;
    current = nextValue;
    lossHistory.push(current.loss);
  }

  return {
    featureNames: [...data.featureNames],
    means,
    stds,
    weights: Array.from(theta.subarray(0, p)),
    bias: theta[p]!,
    l2,
    iterations,
    converged,
    loss: current.loss,
    objective: current.objective,
    lossHistory,
    warmStarted: prior !== undefined,
  };
}

/**
 * θ (weights, then bias) giving the same logit as `start` on standardized rows of this data:
 * w'ⱼ = wⱼ·s'ⱼ/sⱼ and b' = b + Σ wⱼ·(m'ⱼ − mⱼ)/sⱼ.
 *
 * @throws AppError failed_precondition when its features are not these, in this order.
 */
function startOnStandardization(
  start: LogisticRegressionStart,
  featureNames: readonly string[],
  means: readonly number[],
  stds: readonly number[],
): Float64Array {
  const p = featureNames.length;
  const same =
    start.featureNames.length === p &&
    start.featureNames.every((name, j) => name === featureNames[j]) &&
    [start.means, start.stds, start.weights].every((values) => values.length === p);
  if (!same) {
    throw new AppError(
      'failed_precondition',
      `the start model's features (${start.featureNames.join(', ')}) are not these (${featureNames.join(', ')}): a warm start needs the same features in the same order`,
      { retriable: false },
    );
  }
  const theta = new Float64Array(p + 1);
  let bias = start.bias;
  for (let j = 0; j < p; j++) {
    theta[j] = (start.weights[j]! * stds[j]!) / start.stds[j]!;
    bias += (start.weights[j]! * (means[j]! - start.means[j]!)) / start.stds[j]!;
  }
  theta[p] = bias;
  return theta;
}

/**
 * The model's probability of class 1 for each row (columns in the model's feature order), computed
 * in float64.
 *
 * @throws AppError invalid_argument when a row has the wrong number of values.
 */
export function predictLogisticRegression(
  model: LogisticRegressionModel,
  features: readonly (readonly number[])[],
): number[] {
  const p = model.featureNames.length;
  return features.map((row, i) => {
    if (row.length !== p) {
      throw AppError.invalidArgument(`features[${i}]`, `has ${row.length} values for ${p} features`);
    }
    let z = model.bias;
    for (let j = 0; j < p; j++) z += (model.weights[j]! * (row[j]! - model.means[j]!)) / model.stds[j]!;
    return sigmoid(z);
  });
}

function checkData(data: LogisticRegressionData): void {
  const p = data.featureNames.length;
  if (p === 0) throw AppError.invalidArgument('featureNames', 'must name at least one feature');
  const seen = new Set<string>();
  data.featureNames.forEach((name, j) => {
    if (name === '') throw AppError.invalidArgument(`featureNames[${j}]`, 'must not be empty');
    if (seen.has(name)) throw AppError.invalidArgument(`featureNames[${j}]`, `"${name}" is repeated`);
    seen.add(name);
  });
  const n = data.features.length;
  if (n === 0) throw AppError.invalidArgument('features', 'must not be empty');
  if (data.labels.length !== n) {
    throw AppError.invalidArgument('labels', `has ${data.labels.length} labels for ${n} rows`);
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const row = data.features[i]!;
    if (row.length !== p)
      throw AppError.invalidArgument(`features[${i}]`, `has ${row.length} values for ${p} features`);
    for (let j = 0; j < p; j++) {
      if (!Number.isFinite(row[j])) {
        throw AppError.invalidArgument(`features[${i}][${j}]`, `must be a finite number, got ${row[j]}`);
      }
    }
    const label = data.labels[i];
    if (label !== 0 && label !== 1)
      throw AppError.invalidArgument(`labels[${i}]`, `must be 0 or 1, got ${label}`);
    positives += label;
  }
  if (positives === 0 || positives === n) {
    throw AppError.invalidArgument('labels', 'need both classes (0 and 1) to fit a classifier');
  }
}

function standardization(
  features: readonly (readonly number[])[],
  p: number,
): { means: number[]; stds: number[] } {
  const n = features.length;
  const means = new Array<number>(p).fill(0);
  for (const row of features) for (let j = 0; j < p; j++) means[j]! += row[j]!;
  for (let j = 0; j < p; j++) means[j]! /= n;
  const variances = new Array<number>(p).fill(0);
  for (const row of features) {
    for (let j = 0; j < p; j++) {
      const centered = row[j]! - means[j]!;
      variances[j]! += centered * centered;
    }
  }
  // A constant column carries no signal: std 1 leaves it at 0 after centring, so its weight stays 0.
  const stds = variances.map((variance) => {
    const std = Math.sqrt(variance / n);
    return std > 0 ? std : 1;
  });
  return { means, stds };
}

/** Solves H·s = g for symmetric positive-definite H (d × d, row-major) by Cholesky. */
function solvePositiveDefinite(h: Float64Array, g: Float64Array, d: number): Float64Array {
  // Without a penalty H can be singular (e.g. collinear features); a growing ridge keeps it solvable.
  for (let jitter = 0; jitter <= 1e6; jitter = jitter === 0 ? 1e-12 : jitter * 10) {
    const l = cholesky(h, d, jitter);
    if (l === undefined) continue;
    const z = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let sum = g[i]!;
      for (let k = 0; k < i; k++) sum -= l[i * d + k]! * z[k]!;
      z[i] = sum / l[i * d + i]!;
    }
    const s = new Float64Array(d);
    for (let i = d - 1; i >= 0; i--) {
      let sum = z[i]!;
      for (let k = i + 1; k < d; k++) sum -= l[k * d + i]! * s[k]!;
      s[i] = sum / l[i * d + i]!;
    }
    return s;
  }
  throw new AppError(
    'internal',
    'logistic regression: the Newton system could not be solved (non-finite values?)',
  );
}

function cholesky(h: Float64Array, d: number, jitter: number): Float64Array | undefined {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = h[i * d + j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * d + i] = Math.sqrt(sum);
      } else {
        l[i * d + j] = sum / l[j * d + j]!;
      }
    }
  }
  return l;
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function dot(x: Float64Array, offset: number, theta: Float64Array, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += x[offset + j]! * theta[j]!;
  return sum;
}

function dotArrays(a: Float64Array, b: Float64Array): number {
  return dot(a, 0, b, a.length);
}

function maxAbs(values: Float64Array): number {
  let max = 0;
  for (const value of values) max = Math.max(max, Math.abs(value));
  return max;
}
