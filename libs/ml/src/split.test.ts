import { isAppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded-random.ts';
import { shuffleSplit, timeOrderedHoldout } from './split.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('timeOrderedHoldout', () => {
  it('holds out the latest rows, ordering by time when given', () => {
    const rows = [
      { id: 'c', at: 30 },
      { id: 'a', at: 10 },
      { id: 'e', at: 50 },
      { id: 'b', at: 20 },
      { id: 'd', at: 40 },
    ];
    const split = timeOrderedHoldout(rows, { holdoutFraction: 0.4, timeOf: (row) => row.at });
    expect(split.train.map((row) => row.id)).toEqual(['a', 'b', 'c']);
    expect(split.holdout.map((row) => row.id)).toEqual(['d', 'e']);
  });

  it('takes input order as time order without timeOf, and keeps both parts non-empty', () => {
    expect(timeOrderedHoldout(range(10), { holdoutFraction: 0.2 })).toEqual({
      train: range(8),
      holdout: [8, 9],
    });
    expect(timeOrderedHoldout([1, 2], { holdoutFraction: 0.01 })).toEqual({ train: [1], holdout: [2] });
    expect(timeOrderedHoldout([1, 2], { holdoutFraction: 0.99 })).toEqual({ train: [1], holdout: [2] });
  });

  it('rejects a fraction outside (0, 1), too few rows and non-finite times', () => {
    expect(() => timeOrderedHoldout(range(5), { holdoutFraction: 1 })).toThrow(/holdoutFraction/);
    expect(() => timeOrderedHoldout([1], { holdoutFraction: 0.5 })).toThrow(/at least 2 rows/);
    try {
      timeOrderedHoldout([1, 2, 3], { holdoutFraction: 0.5, timeOf: (n) => (n === 2 ? Number.NaN : n) });
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error, 'invalid_argument') && error.field).toBe('rows[1]');
    }
  });
});

describe('shuffleSplit', () => {
  it('is a deterministic partition for a seed', () => {
    const rows = range(100);
    const first = shuffleSplit(rows, { holdoutFraction: 0.2, seed: 42 });
    const again = shuffleSplit(rows, { holdoutFraction: 0.2, seed: 42 });
    expect(again).toEqual(first);
    expect(first.holdout).toHaveLength(20);
    expect(first.train).toHaveLength(80);
    expect([...first.train, ...first.holdout].sort((a, b) => a - b)).toEqual(rows);
    // Shuffled, not the tail.
    expect(first.holdout).not.toEqual(range(100).slice(80));
  });

  it('differs between seeds', () => {
    const rows = range(100);
    expect(shuffleSplit(rows, { holdoutFraction: 0.2, seed: 1 }).holdout).not.toEqual(
      shuffleSplit(rows, { holdoutFraction: 0.2, seed: 2 }).holdout,
    );
  });

  it('rejects a non-integer seed', () => {
    expect(() => shuffleSplit(range(4), { holdoutFraction: 0.5, seed: 0.5 })).toThrow(/seed/);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const values = range(1000).map(() => a());
    expect(range(1000).map(() => b())).toEqual(values);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
