import { wasserstein1 } from './wasserstein.ts';

/** The sorted values a reference keeps for KS and Wasserstein, and how far they are from the data. */
export interface ReferenceSample {
  /** Ascending. */
  values: number[];
  /** The data itself (`exact`) or the means of equal-count blocks of it (`block-means`). */
  kind: 'exact' | 'block-means';
  /**
   * W1(data, values), computed when the summary was made: by the triangle inequality a
   * Wasserstein distance against the summary is within this of the one against the data. 0 when exact.
   */
  wassersteinError: number;
}

/**
 * The reference sample of ascending `sorted`: the data itself up to `size` values; beyond, the
 * means of `size` consecutive blocks (block b holds ranks ⌊b·n/size⌋ … ⌊(b+1)·n/size⌋ − 1). Block
 * means keep the mean and the tails' mass where it is (an outlier moves its block's mean), unlike
 * evenly spaced quantiles, which drop the extreme tail. Each block weighs 1/size against its true
 * share within 1/n, so a KS distance against the summary is within 1/size + 1/n of the true one;
 * the Wasserstein error W1(data, summary) is measured exactly and kept (see
 * {@link ReferenceSample.wassersteinError}).
 */
export function referenceSample(sorted: ArrayLike<number>, size: number): ReferenceSample {
  const n = sorted.length;
  if (n <= size) return { values: Array.from(sorted), kind: 'exact', wassersteinError: 0 };
  const values = new Array<number>(size);
  for (let b = 0; b < size; b++) {
    const start = Math.floor((b * n) / size);
    const end = Math.floor(((b + 1) * n) / size);
    let total = 0;
    for (let i = start; i < end; i++) total += sorted[i]!;
    const mean = Math.min(Math.max(total / (end - start), sorted[start]!), sorted[end - 1]!);
    values[b] = mean;
  }
  return { values, kind: 'block-means', wassersteinError: wasserstein1(sorted, values) };
}

/**
 * Mean and population standard deviation of ascending `sorted` (not empty), accurately: a
 * constant sample gives exactly its value and 0 (no accumulated rounding), otherwise a
 * compensated (Neumaier) sum for the mean and the two-pass variance with its correction term.
 */
export function meanAndStddev(sorted: ArrayLike<number>): { mean: number; stddev: number } {
  const n = sorted.length;
  if (sorted[0] === sorted[n - 1]) return { mean: sorted[0]!, stddev: 0 };
  // Neumaier sums in the order the three passes always used, without a closure call per value.
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  const mean = (sum + compensation) / n;
  let deviationSum = 0;
  let deviationCompensation = 0;
  let squareSum = 0;
  let squareCompensation = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - mean;
    const t = deviationSum + d;
    deviationCompensation +=
      Math.abs(deviationSum) >= Math.abs(d) ? deviationSum - t + d : d - t + deviationSum;
    deviationSum = t;
    const q = d * d;
    const u = squareSum + q;
    squareCompensation += Math.abs(squareSum) >= Math.abs(q) ? squareSum - u + q : q - u + squareSum;
    squareSum = u;
  }
  const deviation = deviationSum + deviationCompensation;
  const squares = squareSum + squareCompensation;
  const variance = Math.max(0, (squares - (deviation * deviation) / n) / n);
  return { mean: Math.min(Math.max(mean, sorted[0]!), sorted[n - 1]!), stddev: Math.sqrt(variance) };
}
