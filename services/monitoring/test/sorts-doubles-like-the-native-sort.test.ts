// The radix sort of the drift path orders doubles exactly as Float64Array.prototype.sort does.
import { describe, expect, it } from 'vitest';
import { sortDoubles } from '../src/statistics/sort-doubles.ts';

/** mulberry32: the same values on every run. */
function uniform(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sortDoubles', () => {
  const u = uniform(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  it.each([
    ['normal', 50_000, () => normal()],
    ['log-normal', 50_000, () => Math.exp(normal())],
    ['rounded (ties)', 50_000, () => Math.round(normal() * 10)],
    [
      'signed zeros and extremes',
      10_000,
      () =>
        [
          0,
          -0,
          Number.MAX_VALUE,
          -Number.MAX_VALUE,
          Number.MIN_VALUE,
          -Number.MIN_VALUE,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
        ][Math.floor(u() * 8)]!,
    ],
    ['low mantissa bits only', 10_000, () => 1 + Math.floor(u() * 1000) * 2 ** -50],
    ['constant', 5_000, () => 3.5],
    ['small', 100, () => normal()],
  ])('%s', (_name, size, draw) => {
    const values = Float64Array.from({ length: size }, draw);
    const expected = values.slice().sort();
    const sorted = sortDoubles(values);
    expect(sorted).toBe(values);
    // Bit for bit (−0 before +0 included).
    expect(new Uint32Array(sorted.buffer)).toEqual(new Uint32Array(expected.buffer));
  });
});
