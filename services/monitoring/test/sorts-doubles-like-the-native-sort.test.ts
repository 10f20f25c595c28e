// The radix sort of the drift path orders doubles exactly as Float64Array.prototype.sort does.
import { seededRandom } from '@flywheel/ml';
import { describe, expect, it } from 'vitest';
import { sortDoubles } from '../src/statistics/sort-doubles.ts';

describe('sortDoubles', () => {
  const u = seededRandom(7);
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
