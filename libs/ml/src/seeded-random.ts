/**
 * A deterministic pseudo-random generator: the same seed gives the same sequence on every machine
 * and Node version (mulberry32, 32-bit state). For reproducible splits and synthetic data, not for
 * anything secret.
 *
 * @param seed any integer; only its low 32 bits matter.
 * @returns a function yielding numbers uniform in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
