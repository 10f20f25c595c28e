import { logLoss as mlLogLoss, rocAuc as mlRocAuc } from '@flywheel/ml';
/**
 * Model quality from predictions paired with their true outcomes. Inputs are parallel arrays of
 * equal, non-zero length (the caller pairs them); a metric that is undefined for the data (AUC
 * with one class, log loss of scores outside [0, 1]) is left out rather than invented.
 */

/**
 * Binary classification on a score: `labels` are 0/1, a score ≥ `threshold` predicts 1.
 * Gives accuracy, precision, recall, f1 (0 when undefined by empty denominators), auc (both
 * classes present), log_loss (scores within [0, 1]; clipped to [1e-15, 1 − 1e-15], natural log).
 */
export function binaryClassificationMetrics(
  labels: readonly number[],
  scores: readonly number[],
  threshold: number,
): Record<string, number> {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let probabilities = true;
  for (let i = 0; i < labels.length; i++) {
    const score = scores[i]!;
    if (score < 0 || score > 1) probabilities = false;
    const predicted = score >= threshold;
    if (labels[i] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const metrics: Record<string, number> = {
    accuracy: (tp + tn) / labels.length,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  };
  const auc = rocAuc(labels, scores);
  if (auc !== undefined) metrics.auc = auc;
  if (probabilities) metrics.log_loss = logLoss(labels, scores);
  return metrics;
}

/** Share of predictions equal to their label (multiclass: labels and predictions as strings). */
export function multiclassAccuracy(
  labels: readonly string[],
  predictions: readonly string[],
): Record<string, number> {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) correct++;
  return { accuracy: correct / labels.length };
}

/** rmse, mae and r2 (r2 left out when the labels are constant). */
export function regressionMetrics(
  labels: readonly number[],
  predictions: readonly number[],
): Record<string, number> {
  const n = labels.length;
  let squared = 0;
  let absolute = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const error = predictions[i]! - labels[i]!;
    squared += error * error;
    absolute += Math.abs(error);
    mean += labels[i]! / n;
  }
  let total = 0;
  for (const label of labels) total += (label - mean) ** 2;
  const metrics: Record<string, number> = { rmse: Math.sqrt(squared / n), mae: absolute / n };
  if (total > 0) metrics.r2 = 1 - squared / total;
  return metrics;
}

/** Area under the ROC curve (see @flywheel/ml `rocAuc`); undefined when only one class is present. */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number | undefined {
  const positives = labels.filter((label) => label === 1).length;
  if (positives === 0 || positives === labels.length) return undefined;
  return mlRocAuc(labels, scores);
}

/** Mean negative log-likelihood of 0/1 labels, in nats (see @flywheel/ml `logLoss`). */
export function logLoss(labels: readonly number[], probabilities: readonly number[]): number {
  return mlLogLoss(labels, probabilities);
}
