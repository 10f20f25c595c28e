/** Proportions below this are raised to it before taking logs, so an empty bin costs a bounded amount. */
export const psiEpsilon = 1e-4;

/**
 * Population Stability Index of `actual` against `expected`, bin by bin (same bins, counts):
 * Σ (a − e) · ln(a / e) over the proportions, each floored at `epsilon` (default 1e-4) so an
 * empty bin adds a large but finite term. 0 for identical proportions; < 0.1 is usually read as
 * stable, ≥ 0.2 as a significant shift. Throws RangeError when the arrays differ in length or
 * either has no counts.
 */
export function populationStabilityIndex(
  expected: readonly number[],
  actual: readonly number[],
  epsilon = psiEpsilon,
): number {
  if (expected.length !== actual.length) throw new RangeError('expected and actual need the same bins');
  const expectedTotal = sum(expected);
  const actualTotal = sum(actual);
  if (expectedTotal <= 0 || actualTotal <= 0) throw new RangeError('PSI needs counts on both sides');
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]! / expectedTotal, epsilon);
    const a = Math.max(actual[i]! / actualTotal, epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/**
 * PSI over shares already floored (Evidently's form, after {@link fillEmptyShares} of
 * `./evidently-shares.ts`): Σ (e − a) · ln(e / a), no renormalisation. Same length, all positive.
 */
export function psiOfShares(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new RangeError('expected and actual need the same bins');
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    psi += (expected[i]! - actual[i]!) * Math.log(expected[i]! / actual[i]!);
  }
  return psi;
}
