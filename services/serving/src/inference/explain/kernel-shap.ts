import { AppError } from '@flywheel/core';

/**
 * Kernel SHAP (Lundberg & Lee, "A Unified Approach to Interpreting Model Predictions", 2017) as
 * two pure steps: which coalitions to evaluate and with what Shapley-kernel weight, then the
 * weighted least squares that turns their expected outputs into contributions. The scheme is the
 * one shap.KernelExplainer documents: subset sizes (paired with their complements) are enumerated
 * whole from the smallest up while the budget covers them, the rest is sampled; with a budget of
 * 2^M − 2 every coalition is enumerated and the result is the exact Shapley values.
 */

/** Coalitions to evaluate: mask[f] = 1 keeps the explained row's feature f, 0 takes the background's. */
export interface CoalitionPlan {
  readonly masks: readonly Uint8Array[];
  /** Kernel weight of each mask (sums to 1). */
  readonly weights: Float64Array;
  /** Every coalition is in the plan: the solution is exact, not an estimate. */
  readonly exhaustive: boolean;
}

/** Largest coalition budget: shap's limit for M > 30. */
const maxBudget = 2 ** 30;

/** Coalitions a budget of `nsamples` (0 = auto, 2·M + 2048) amounts to for M varying features. */
export function coalitionBudget(m: number, nsamples: number): number {
  const asked = nsamples > 0 ? nsamples : 2 * m + 2048;
  return m <= 30 ? Math.min(asked, 2 ** m - 2) : Math.min(asked, maxBudget);
}

/**
 * Plans the coalitions for M ≥ 2 varying features.
 *
 * @param random uniform [0, 1) source for the sampled part.
 */
export function planCoalitions(m: number, nsamples: number, random: () => number): CoalitionPlan {
  const budget = coalitionBudget(m, nsamples);
  const sizes = Math.ceil((m - 1) / 2);
  const pairedSizes = Math.floor((m - 1) / 2);
  // Shapley kernel mass of each subset size s (and its complement M − s when paired).
  const sizeWeight = Array.from({ length: sizes }, (_, i) => {
    const s = i + 1;
    return ((m - 1) / (s * (m - s))) * (s <= pairedSizes ? 2 : 1);
  });
  const total = sizeWeight.reduce((sum, w) => sum + w, 0);
  for (let i = 0; i < sizes; i++) sizeWeight[i]! /= total;

  const masks: Uint8Array[] = [];
  const weights: number[] = [];
  const add = (mask: Uint8Array, weight: number): void => {
    masks.push(mask);
    weights.push(weight);
  };

  let left = budget;
  let fullSizes = 0;
  const remaining = [...sizeWeight];
  for (let s = 1; s <= sizes; s++) {
    const paired = s <= pairedSizes;
    const count = binomial(m, s) * (paired ? 2 : 1);
    if ((left * remaining[s - 1]!) / count < 1 - 1e-8) break;
    fullSizes++;
    left -= count;
    const share = remaining[s - 1]!;
    if (share < 1) for (let i = 0; i < sizes; i++) remaining[i]! /= 1 - share;
    const weight = sizeWeight[s - 1]! / binomial(m, s) / (paired ? 2 : 1);
    forEachSubset(m, s, (mask) => {
      add(mask, weight);
      if (paired) add(complement(mask), weight);
    });
  }

  const fixed = masks.length;
  let samplesLeft = budget - fixed;
  if (fullSizes !== sizes && samplesLeft > 0) {
    const drawWeights = sizeWeight.map((w, i) => (i < pairedSizes ? w / 2 : w)).slice(fullSizes);
    const drawTotal = drawWeights.reduce((sum, w) => sum + w, 0);
    const seen = new Map<string, number>();
    // Draws are bounded as in shap (4 per sample wanted): repeats only add weight.
    for (let draw = 0; draw < 4 * (budget - fixed) && samplesLeft > 0; draw++) {
      const s = fullSizes + 1 + pick(drawWeights, drawTotal, random());
      const mask = randomSubset(m, s, random);
      const key = mask.join('');
      const index = seen.get(key);
      const paired = s <= pairedSizes;
      if (index === undefined) {
        seen.set(key, masks.length);
        add(mask, 1);
        samplesLeft--;
        if (paired && samplesLeft > 0) {
          add(complement(mask), 1);
          samplesLeft--;
        }
      } else {
        weights[index]! += 1;
        if (paired && index + 1 < masks.length) weights[index + 1]! += 1;
      }
    }
    const weightLeft = sizeWeight.slice(fullSizes).reduce((sum, w) => sum + w, 0);
    let sampled = 0;
    for (let i = fixed; i < weights.length; i++) sampled += weights[i]!;
    for (let i = fixed; i < weights.length; i++) weights[i] = (weights[i]! * weightLeft) / sampled;
  }
  return { masks, weights: Float64Array.from(weights), exhaustive: fullSizes === sizes };
}

/**
 * Contributions of M ≥ 2 features from the expected output of each coalition: the weighted least
 * squares fit of `expected − fNull` on the masks, constrained to add up to fx − fNull (the last
 * feature is eliminated). Values below 1e-10 in magnitude are rounding and become 0.
 *
 * @throws AppError invalid_argument (field "nsamples") when the coalitions do not determine every
 *   contribution (too few for the features).
 */
export function solveContributions(
  plan: CoalitionPlan,
  expected: Float64Array,
  fx: number,
  fNull: number,
): Float64Array {
  const m = plan.masks[0]?.length ?? 0;
  const last = m - 1;
  const delta = fx - fNull;
  const a = Array.from({ length: last }, () => new Float64Array(last));
  const b = new Float64Array(last);
  const row = new Float64Array(last);
  plan.masks.forEach((mask, s) => {
    const w = plan.weights[s]!;
    const y = expected[s]! - fNull - mask[last]! * delta;
    for (let j = 0; j < last; j++) row[j] = mask[j]! - mask[last]!;
    for (let i = 0; i < last; i++) {
      const wi = w * row[i]!;
      if (wi === 0) continue;
      b[i]! += wi * y;
      const ai = a[i]!;
      for (let j = 0; j < last; j++) ai[j]! += wi * row[j]!;
    }
  });
  const solved = solveLinearSystem(a, b);
  if (!solved) {
    throw AppError.invalidArgument(
      'nsamples',
      `${plan.masks.length} coalitions do not determine the contributions of ${m} features; raise nsamples`,
    );
  }
  const phi = new Float64Array(m);
  let sum = 0;
  for (let j = 0; j < last; j++) {
    phi[j] = solved[j]!;
    sum += solved[j]!;
  }
  phi[last] = delta - sum;
  for (let j = 0; j < m; j++) if (Math.abs(phi[j]!) < 1e-10) phi[j] = 0;
  return phi;
}

/** Gaussian elimination with partial pivoting; undefined when the matrix is singular. */
function solveLinearSystem(a: Float64Array[], b: Float64Array): Float64Array | undefined {
  const n = b.length;
  const scaleOf = a.reduce((max, row) => row.reduce((m, v) => Math.max(m, Math.abs(v)), max), 0);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) <= scaleOf * 1e-13) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    const top = a[col]!;
    for (let r = col + 1; r < n; r++) {
      const factor = a[r]![col]! / top[col]!;
      if (factor === 0) continue;
      const target = a[r]!;
      for (let c = col; c < n; c++) target[c]! -= factor * top[c]!;
      b[r]! -= factor * b[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let v = b[r]!;
    for (let c = r + 1; c < n; c++) v -= a[r]![c]! * x[c]!;
    x[r] = v / a[r]![r]!;
  }
  return x;
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

/** Calls `visit` with a fresh mask for every subset of `size` of {0…m−1}, in lexicographic order. */
function forEachSubset(m: number, size: number, visit: (mask: Uint8Array) => void): void {
  const chosen = Array.from({ length: size }, (_, i) => i);
  for (;;) {
    const mask = new Uint8Array(m);
    for (const i of chosen) mask[i] = 1;
    visit(mask);
    let i = size - 1;
    while (i >= 0 && chosen[i] === m - size + i) i--;
    if (i < 0) return;
    chosen[i]!++;
    for (let j = i + 1; j < size; j++) chosen[j] = chosen[j - 1]! + 1;
  }
}

function complement(mask: Uint8Array): Uint8Array {
  return mask.map((v) => 1 - v);
}

/** Index drawn with probability weights[i] / total. */
function pick(weights: readonly number[], total: number, u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]! / total;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

/** A uniformly random subset of `size` (partial Fisher–Yates). */
function randomSubset(m: number, size: number, random: () => number): Uint8Array {
  const order = Array.from({ length: m }, (_, i) => i);
  const mask = new Uint8Array(m);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (m - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
    mask[order[i]!] = 1;
  }
  return mask;
}

/** A seeded uniform [0, 1) source (SplitMix64), for repeatable estimates. */
export function seededUniform(seed: bigint): () => number {
  let state = BigInt.asUintN(64, seed);
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53;
  };
}
