import { AppError } from '@flywheel/core';

/**
 * Binary-classification metrics. Every function takes the true labels (each 0 or 1) and the model's
 * scores for the positive class, index by index, and throws AppError invalid_argument when the
 * arrays are empty, differ in length, or hold a label other than 0/1 or a score that is not a finite
 * number (probabilities must also lie in [0, 1]).
 */

/** The metrics an evaluation step compares a candidate and a champion on. */
export interface BinaryClassificationMetrics {
  /** Number of examples scored. */
  count: number;
  /** Share of examples labelled 1. */
  positiveRate: number;
  /** Mean negative log-likelihood, natural log (nats); lower is better. */
  logLoss: number;
  /** Share predicted right with probability ≥ 0.5 meaning 1. */
  accuracy: number;
  /** Area under the ROC curve; 0.5 is chance, 1 perfect; ties count half. */
  rocAuc: number;
  /** Mean squared error of the probabilities; lower is better. */
  brierScore: number;
}

/**
 * Mean log loss, `-mean(y·ln p + (1-y)·ln(1-p))`, in nats. Probabilities are clipped to
 * [epsilon, 1 - epsilon] (default 1e-15), so one confident mistake costs ~34.5, not Infinity.
 */
export function logLoss(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  options: { epsilon?: number } = {},
): number {
  checkInputs(labels, probabilities, true);
  const epsilon = options.epsilon ?? 1e-15;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - epsilon, Math.max(epsilon, probabilities[i]!));
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

/** Share of examples whose prediction (`probability ≥ threshold`, default 0.5, means 1) is right. */
export function accuracy(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  options: { threshold?: number } = {},
): number {
  checkInputs(labels, probabilities, false);
  const threshold = options.threshold ?? 0.5;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = probabilities[i]! >= threshold ? 1 : 0;
    if (predicted === labels[i]) correct++;
  }
  return correct / labels.length;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * with ties counting one half (Mann–Whitney U with average ranks). Scores need not be probabilities.
 *
 * @throws AppError invalid_argument also when only one class is present (the AUC is undefined).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkInputs(labels, scores, false);
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    // Ranks start..end-1 (0-based) tie: each gets their average, 1-based.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw AppError.invalidArgument('labels', 'ROC AUC needs both classes (0 and 1) present');
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Brier score: mean squared difference between probability and label; 0 is perfect, 0.25 a coin. */
export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  checkInputs(labels, probabilities, true);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const error = probabilities[i]! - labels[i]!;
    total += error * error;
  }
  return total / labels.length;
}

/**
 * All of {@link BinaryClassificationMetrics} in one call.
 *
 * @throws AppError invalid_argument as the single metrics do (including a single class, for the AUC).
 */
export function binaryClassificationMetrics(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
): BinaryClassificationMetrics {
  checkInputs(labels, probabilities, true);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return {
    count: labels.length,
    positiveRate: positives / labels.length,
    logLoss: logLoss(labels, probabilities),
    accuracy: accuracy(labels, probabilities),
    rocAuc: rocAuc(labels, probabilities),
    brierScore: brierScore(labels, probabilities),
  };
}

function checkInputs(labels: ArrayLike<number>, scores: ArrayLike<number>, areProbabilities: boolean): void {
  if (labels.length === 0) throw AppError.invalidArgument('labels', 'must not be empty');
  if (scores.length !== labels.length) {
    throw AppError.invalidArgument(
      'probabilities',
      `has ${scores.length} values for ${labels.length} labels; they must pair up`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw AppError.invalidArgument(`labels[${i}]`, `must be 0 or 1, got ${label}`);
    }
    const score = scores[i]!;
    if (!Number.isFinite(score) || (areProbabilities && (score < 0 || score > 1))) {
      throw AppError.invalidArgument(
        `probabilities[${i}]`,
        `must be ${areProbabilities ? 'a probability in [0, 1]' : 'a finite number'}, got ${score}`,
      );
    }
  }
}
