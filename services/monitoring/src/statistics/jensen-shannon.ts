/**
 * Jensen–Shannon distance between two distributions given as counts (or shares) over the same
 * bins or categories: √(½ KL(P‖M) + ½ KL(Q‖M)) with M = (P + Q)/2, logs in `base` — 2 (Flywheel's:
 * the distance lies in [0, 1], 1 disjoint) or `'e'` (Evidently's, scipy's default: at most √ln 2).
 * Needs no smoothing: M is positive wherever P or Q is. Throws RangeError when the arrays differ in
 * length or either has no counts.
 */
export function jensenShannonDistance(
  countsP: readonly number[],
  countsQ: readonly number[],
  base: 2 | 'e' = 2,
): number {
  if (countsP.length !== countsQ.length) throw new RangeError('P and Q need the same bins');
  const totalP = countsP.reduce((a, b) => a + b, 0);
  const totalQ = countsQ.reduce((a, b) => a + b, 0);
  if (totalP <= 0 || totalQ <= 0) throw new RangeError('Jensen–Shannon needs counts on both sides');
  const log = base === 2 ? Math.log2 : Math.log;
  let divergence = 0;
  for (let i = 0; i < countsP.length; i++) {
    const p = countsP[i]! / totalP;
    const q = countsQ[i]! / totalQ;
    const m = (p + q) / 2;
    if (p > 0) divergence += 0.5 * p * log(p / m);
    if (q > 0) divergence += 0.5 * q * log(q / m);
  }
  return Math.sqrt(Math.min(base === 2 ? 1 : Math.LN2, Math.max(0, divergence)));
}
