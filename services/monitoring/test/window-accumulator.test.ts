// Windows fill and close by size or duration, and queue what they close for evaluation.
import { describe, expect, it } from 'vitest';
import type { WindowSpecRecord } from '../src/records/monitor-records.ts';
import { addSamples, closeIfDue, emptyWindow, type WindowSample } from '../src/windows/window-accumulator.ts';

const limits = { maxWindowSamples: 1000, maxParkedWindows: 2 };
const samples = (count: number, from = 0, stepMs = 1000): WindowSample[] =>
  Array.from({ length: count }, (_, i) => ({ time: from + i * stepMs, values: { x: i }, deployment: 'd' }));

describe('window accumulation', () => {
  it('closes a window at its size and opens the next with the rest of the batch', () => {
    const spec: WindowSpecRecord = { size: 10, durationMs: null, minSamples: 5 };
    const { state, report } = addSamples(
      emptyWindow('m', 'model', 1, new Date()),
      samples(25),
      spec,
      limits,
      0,
    );
    expect(report.closed).toBe(2);
    expect(state.closed.map((c) => [c.seq, c.count, c.startTime, c.endTime])).toEqual([
      [1, 10, 0, 9001],
      [2, 10, 10_000, 19_001],
    ]);
    expect(state.closed[1]!.columns.x).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(state.seq).toBe(3);
    expect(state.count).toBe(5);
    expect(state.columns.x).toEqual([20, 21, 22, 23, 24]);
  });

  it('closes by prediction time when a sample falls past the duration', () => {
    const spec: WindowSpecRecord = { size: 0, durationMs: 10_000, minSamples: 3 };
    const { state } = addSamples(emptyWindow('m', 'model', 1, new Date()), samples(15), spec, limits, 0);
    expect(state.closed).toHaveLength(1);
    expect(state.closed[0]).toMatchObject({ seq: 1, count: 10, startTime: 0, endTime: 10_000 });
    expect(state.count).toBe(5);
  });

  it('discards a window smaller than min samples and keeps at most the parked limit', () => {
    const spec: WindowSpecRecord = { size: 0, durationMs: 1000, minSamples: 2 };
    // One sample per second: every window holds one sample and is too small.
    const sparse = addSamples(emptyWindow('m', 'model', 1, new Date()), samples(4), spec, limits, 0);
    expect(sparse.report.tooSmall).toBe(3);
    expect(sparse.state.closed).toHaveLength(0);
    const sized: WindowSpecRecord = { size: 2, durationMs: null, minSamples: 2 };
    const parked = addSamples(emptyWindow('m', 'model', 1, new Date()), samples(8), sized, limits, 0);
    expect(parked.report.dropped).toBe(2);
    expect(parked.state.closed.map((c) => c.seq)).toEqual([3, 4]);
  });

  it('pads columns so rows stay aligned when a column appears late', () => {
    const spec: WindowSpecRecord = { size: 100, durationMs: null, minSamples: 1 };
    const first = addSamples(emptyWindow('m', 'model', 1, new Date()), samples(2), spec, limits, 0);
    const second = addSamples(
      first.state,
      [{ time: 5, values: { y: 'a' }, deployment: 'd' }],
      spec,
      limits,
      0,
    );
    expect(second.state.columns).toEqual({ x: [0, 1, null], y: [null, null, 'a'] });
  });

  it('the sweep closes a window whose duration passed by the wall clock, and nothing else', () => {
    const spec: WindowSpecRecord = { size: 0, durationMs: 60_000, minSamples: 1 };
    const { state } = addSamples(
      emptyWindow('m', 'model', 1, new Date()),
      samples(3),
      spec,
      limits,
      1_000_000,
    );
    expect(closeIfDue(state, spec, limits, 1_000_000 + 59_999)).toBeUndefined();
    const due = closeIfDue(state, spec, limits, 1_000_000 + 60_000);
    expect(due?.state.closed[0]).toMatchObject({ seq: 1, count: 3, startTime: 0, endTime: 60_000 });
    expect(closeIfDue(state, { ...spec, durationMs: null }, limits, Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
});
