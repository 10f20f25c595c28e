import { durationMs } from '@bufbuild/protobuf/wkt';
import type { CanaryStrategy } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { SloCheckRecord } from '../deployments/rollout-records.ts';
import type { VersionWindow } from './traffic-stats.ts';

/** ML metrics a canary's metric gates can name: judged on ground truth joined by request id. */
export const supportedMetrics = ['accuracy'] as const;

/** Candidate requests (or labelled predictions) a canary step needs before it is judged. */
export const minJudgedSamples = 10;

/** Where a canary in progress stands. */
export interface CanaryInProgress {
  readonly strategy: CanaryStrategy;
  readonly candidateVersion: number;
  /** Index into `strategy.stepPercents` of the step running now. */
  readonly stepIndex: number;
  /** When the current step has baked long enough (RFC 3339). */
  readonly stepEndTime: string;
}

/** The current step's request windows: the candidate's, and the stable version's beside it. */
export interface CanaryWindows {
  readonly candidate: VersionWindow;
  readonly stable: VersionWindow;
}

/** What to do with a canary now; `checks` are the step's SLO checks so far, to be stored. */
export type CanaryDecision =
  /** A check with enough samples failed: all traffic back to stable. `reason` names the failures. */
  | { action: 'roll-back'; checks: SloCheckRecord[]; failed: SloCheckRecord[]; reason: string }
  /** The step has not baked yet, or has too few candidate requests: judge again later. */
  | { action: 'hold'; checks: SloCheckRecord[]; reason: string }
  /** The step passed: go to `stepIndex` sending `percent` of requests to the candidate. */
  | { action: 'advance'; checks: SloCheckRecord[]; stepIndex: number; percent: number; reason: string }
  /** The last step passed but the strategy does not auto-promote: wait to be promoted. */
  | { action: 'pause'; checks: SloCheckRecord[]; reason: string }
  /** The last step passed: the candidate becomes the stable version. */
  | { action: 'promote'; checks: SloCheckRecord[]; reason: string };

/**
 * Judges a canary step from its windows, as a pure function of its inputs. A check counts only
 * once it has `max(min_requests, 10)` samples; then any failed check rolls back at once, whatever
 * the step's bake. Otherwise the step moves on when it has baked (`now` ≥ its end) and has enough
 * candidate requests: to the next step, or after the last one to promotion (or a pause without
 * `auto_promote`).
 */
export function judgeCanary(canary: CanaryInProgress, windows: CanaryWindows, now: Date): CanaryDecision {
  const { strategy, candidateVersion } = canary;
  const checks = canaryChecks(strategy, windows, now);
  const needed = neededSamples(strategy);
  const failed = checks.filter((check) => check.sampleCount >= needed && !check.passed);
  if (failed.length > 0) {
    const reason = `canary version ${candidateVersion} failed ${failed
      .map((check) => `${check.name} (${round(check.observed)} against ${round(check.threshold)})`)
      .join(', ')}`;
    return { action: 'roll-back', checks, failed, reason };
  }
  if (now.getTime() < Date.parse(canary.stepEndTime)) return { action: 'hold', checks, reason: 'baking' };
  if (windows.candidate.requests < needed) {
    return { action: 'hold', checks, reason: `waiting for ${needed} candidate requests` };
  }
  const steps = strategy.stepPercents;
  const next = canary.stepIndex + 1;
  if (next < steps.length) {
    return {
      action: 'advance',
      checks,
      stepIndex: next,
      percent: steps[next]!,
      reason: `step ${next + 1} of ${steps.length} passed its checks`,
    };
  }
  if (!strategy.autoPromote) {
    return { action: 'pause', checks, reason: 'every step passed; waiting to be promoted' };
  }
  return { action: 'promote', checks, reason: `version ${candidateVersion} passed every step and is stable` };
}

/**
 * The SLO checks of a canary step so far (latency in ms): `latency_p99` and `error_rate` on the
 * candidate's requests when the SLO sets them, and one check per metric gate on its labelled
 * predictions (only accuracy, see `supportedMetrics`).
 */
export function canaryChecks(strategy: CanaryStrategy, windows: CanaryWindows, now: Date): SloCheckRecord[] {
  const window = windows.candidate;
  const checkTime = now.toISOString();
  const checks: SloCheckRecord[] = [];
  const slo = strategy.slo;
  if (slo?.maxLatencyP99) {
    const threshold = durationMs(slo.maxLatencyP99);
    checks.push({
      name: 'latency_p99',
      threshold,
      observed: window.p99Ms,
      passed: window.p99Ms <= threshold,
      sampleCount: window.requests,
      checkTime,
    });
  }
  if (slo && slo.maxErrorRate > 0) {
    const observed = window.requests === 0 ? 0 : window.errors / window.requests;
    checks.push({
      name: 'error_rate',
      threshold: slo.maxErrorRate,
      observed,
      passed: observed <= slo.maxErrorRate,
      sampleCount: window.requests,
      checkTime,
    });
  }
  for (const gate of slo?.metricGates ?? []) {
    // Only accuracy (see supportedMetrics): share of labelled predictions that were right.
    const observed = accuracyOf(window);
    let threshold = 0;
    let passed = true;
    switch (gate.bound.case) {
      case 'min':
        threshold = gate.bound.value;
        passed = observed >= threshold;
        break;
      case 'max':
        threshold = gate.bound.value;
        passed = observed <= threshold;
        break;
      case 'maxRegression': {
        const base = windows.stable;
        threshold = accuracyOf(base) - gate.bound.value;
        passed = base.labelled === 0 || observed >= threshold;
        break;
      }
    }
    checks.push({ name: gate.metric, threshold, observed, passed, sampleCount: window.labelled, checkTime });
  }
  return checks;
}

/** How long each step bakes, ms (`bake_duration`, default 1 minute). */
export function bakeMsOf(strategy: CanaryStrategy): number {
  return strategy.bakeDuration ? Math.max(0, durationMs(strategy.bakeDuration)) : 60_000;
}

/** How often a canary is judged: a fifth of its bake, between 20 ms and 1 s. */
export function checkIntervalMs(strategy: CanaryStrategy): number {
  return Math.min(1000, Math.max(20, bakeMsOf(strategy) / 5));
}

/** Samples a check needs before it counts, and candidate requests a step needs to pass. */
export function neededSamples(strategy: CanaryStrategy): number {
  return Math.max(strategy.minRequests, minJudgedSamples);
}

function accuracyOf(window: VersionWindow): number {
  return window.labelled === 0 ? 0 : window.correct / window.labelled;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
