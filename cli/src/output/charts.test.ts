import { describe, expect, it } from 'vitest';
import { densityCells, sparkline, thresholdBar } from './charts.ts';

describe('terminal charts', () => {
  it('draws a sparkline scaled from zero to the largest value', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe('▁▂▃▅█');
    expect(sparkline([])).toBe('');
  });

  it('marks the threshold in the middle of the bar and fills past it for a drifted statistic', () => {
    expect(thresholdBar(0.1, 0.2, 10)).toBe('███  │     ');
    expect(thresholdBar(0.3, 0.2, 10)).toBe('█████│██   ');
    expect(thresholdBar(5, 0.2, 10)).toBe('█████│█████');
  });

  it('spreads equal-frequency bins over equal-width cells, so a narrow crowded bin stands out', () => {
    // Two bins of 10 values: [0, 1) holds them densely, [1, 4) thinly.
    expect(densityCells([0, 1, 4], [10, 10], 0, 4, 4)).toEqual([10, 10 / 3, 10 / 3, 10 / 3]);
    expect(densityCells([2, 2], [5], 2, 2, 4)).toEqual([5]);
  });
});
