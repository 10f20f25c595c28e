import { effectiveMinSamples, type WindowSpecRecord } from '../records/monitor-records.ts';
import type { ClosedWindowRecord, SampleValue, WindowRecord } from '../records/window-records.ts';

/** One logged prediction as a window sample: its time and the monitored columns' values. */
export interface WindowSample {
  /** Prediction time, epoch ms. */
  time: number;
  values: Readonly<Record<string, SampleValue>>;
  deployment: string;
}

export interface WindowLimits {
  /** Hard cap on samples in one window: a window reaching it closes as if full. */
  maxWindowSamples: number;
  /** Closed windows kept while they wait for a reference profile; older ones are dropped. */
  maxParkedWindows: number;
}

/** What a step did besides changing the window. */
export interface AccumulateReport {
  /** Windows closed by this step (tested or not). */
  closed: number;
  /** Windows closed with fewer than min samples: discarded untested. */
  tooSmall: number;
  /** Parked windows dropped because too many were waiting for a profile. */
  dropped: number;
}

/** A fresh, empty window state of a monitor over a model version. */
export function emptyWindow(
  monitorName: string,
  modelName: string,
  modelVersion: number,
  now: Date,
): WindowRecord {
  return {
    monitorName,
    modelName,
    modelVersion,
    seq: 1,
    openedAt: null,
    openedAtWall: null,
    minTime: null,
    maxTime: null,
    count: 0,
    columns: {},
    deployments: [],
    appliedEventIds: [],
    closed: [],
    lastEmittedAt: {},
    updateTime: now.toISOString(),
  };
}

/**
 * Adds samples to the open window in order. Before a sample whose time is `duration` or more
 * past the window's first sample, the window closes (so that sample opens the next); after a
 * sample that fills `size` (or the hard cap), it closes too. A closed window with at least
 * min samples is queued in `closed` for evaluation; a smaller one is discarded. Returns a new
 * state; the input is not modified.
 */
export function addSamples(
  state: WindowRecord,
  samples: readonly WindowSample[],
  spec: WindowSpecRecord,
  limits: WindowLimits,
  nowWall: number,
): { state: WindowRecord; report: AccumulateReport } {
  const next = structuredClone(state);
  const report: AccumulateReport = { closed: 0, tooSmall: 0, dropped: 0 };
  const size = spec.size > 0 ? Math.min(spec.size, limits.maxWindowSamples) : limits.maxWindowSamples;
  for (const sample of samples) {
    if (
      spec.durationMs !== null &&
      next.openedAt !== null &&
      sample.time >= next.openedAt + spec.durationMs
    ) {
      closeWindow(next, spec, limits, report, 'duration');
    }
    append(next, sample, nowWall);
    if (next.count >= size) closeWindow(next, spec, limits, report, 'size');
  }
  return { state: next, report };
}

/**
 * Closes the open window when it has been open (by wall clock) for its duration: the sweep's
 * step, so a window closes even when traffic stops. Returns the new state, or undefined when
 * nothing was due.
 */
export function closeIfDue(
  state: WindowRecord,
  spec: WindowSpecRecord,
  limits: WindowLimits,
  nowWall: number,
): { state: WindowRecord; report: AccumulateReport } | undefined {
  if (spec.durationMs === null || state.openedAtWall === null || state.count === 0) return undefined;
  if (nowWall < state.openedAtWall + spec.durationMs) return undefined;
  const next = structuredClone(state);
  const report: AccumulateReport = { closed: 0, tooSmall: 0, dropped: 0 };
  closeWindow(next, spec, limits, report, 'duration');
  return { state: next, report };
}

function append(window: WindowRecord, sample: WindowSample, nowWall: number): void {
  if (window.openedAt === null) {
    window.openedAt = sample.time;
    window.openedAtWall = nowWall;
  }
  window.minTime = window.minTime === null ? sample.time : Math.min(window.minTime, sample.time);
  window.maxTime = window.maxTime === null ? sample.time : Math.max(window.maxTime, sample.time);
  for (const [feature, value] of Object.entries(sample.values)) {
    // A column that appeared late is padded with missing values, so columns stay row-aligned.
    let column = window.columns[feature];
    if (!column) {
      column = new Array<SampleValue>(window.count).fill(null);
      window.columns[feature] = column;
    }
    column.push(value);
  }
  window.count++;
  for (const [feature, column] of Object.entries(window.columns)) {
    if (column.length < window.count) window.columns[feature]!.push(null);
  }
  if (sample.deployment && !window.deployments.includes(sample.deployment))
    window.deployments.push(sample.deployment);
}

function closeWindow(
  window: WindowRecord,
  spec: WindowSpecRecord,
  limits: WindowLimits,
  report: AccumulateReport,
  reason: 'size' | 'duration',
): void {
  if (window.count === 0 || window.openedAt === null) return;
  report.closed++;
  const start = Math.min(window.openedAt, window.minTime ?? window.openedAt);
  const lastEnd = (window.maxTime ?? window.openedAt) + 1;
  const end =
    reason === 'duration' && spec.durationMs !== null
      ? Math.max(window.openedAt + spec.durationMs, lastEnd)
      : lastEnd;
  if (window.count >= effectiveMinSamples(spec)) {
    const closed: ClosedWindowRecord = {
      seq: window.seq,
      startTime: start,
      endTime: end,
      count: window.count,
      columns: window.columns,
      deployments: window.deployments,
    };
    window.closed.push(closed);
    while (window.closed.length > limits.maxParkedWindows) {
      window.closed.shift();
      report.dropped++;
    }
  } else {
    report.tooSmall++;
  }
  window.seq++;
  window.openedAt = null;
  window.openedAtWall = null;
  window.minTime = null;
  window.maxTime = null;
  window.count = 0;
  window.columns = {};
  window.deployments = [];
}
