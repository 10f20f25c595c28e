import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import {
  CanaryStrategySchema,
  type MetricGateSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { describe, expect, it } from 'vitest';
import {
  bakeMsOf,
  type CanaryDecision,
  checkIntervalMs,
  judgeCanary,
  neededSamples,
} from '../src/traffic/judge-canary.ts';
import type { VersionWindow } from '../src/traffic/traffic-stats.ts';

const now = new Date('2030-01-01T00:01:00.000Z');
const baked = '2030-01-01T00:00:59.000Z';
const notBaked = '2030-01-01T00:01:00.001Z';

type StrategyInit = MessageInitShape<typeof CanaryStrategySchema>;

function window(overrides: Partial<VersionWindow> = {}): VersionWindow {
  return { requests: 100, errors: 0, p99Ms: 5, labelled: 0, correct: 0, ...overrides };
}

interface Case {
  name: string;
  strategy?: StrategyInit;
  stepIndex?: number;
  stepEndTime?: string;
  candidate?: Partial<VersionWindow>;
  stable?: Partial<VersionWindow>;
  action: CanaryDecision['action'];
  /** Checks expected, as `name:passed`. */
  checks?: string[];
}

const p99 = { slo: { maxLatencyP99: durationFromMs(50) } };
const errorRate = { slo: { maxErrorRate: 0.1 } };
const accuracy = (bound: MessageInitShape<typeof MetricGateSchema>[]) => ({
  slo: { metricGates: bound },
});

const cases: Case[] = [
  // latency_p99: passes at the threshold, fails above it.
  {
    name: 'p99 at the threshold',
    strategy: p99,
    candidate: { p99Ms: 50 },
    action: 'advance',
    checks: ['latency_p99:true'],
  },
  {
    name: 'p99 above the threshold',
    strategy: p99,
    candidate: { p99Ms: 50.001 },
    action: 'roll-back',
    checks: ['latency_p99:false'],
  },
  {
    name: 'p99 failing before the bake ends still rolls back',
    strategy: p99,
    stepEndTime: notBaked,
    candidate: { p99Ms: 80 },
    action: 'roll-back',
  },
  // error_rate: errors / requests against max_error_rate; 0 means not checked.
  {
    name: 'error rate at the threshold',
    strategy: errorRate,
    candidate: { requests: 100, errors: 10 },
    action: 'advance',
    checks: ['error_rate:true'],
  },
  {
    name: 'error rate above the threshold',
    strategy: errorRate,
    candidate: { requests: 100, errors: 11 },
    action: 'roll-back',
    checks: ['error_rate:false'],
  },
  {
    name: 'error rate 0 is not checked',
    strategy: { slo: { maxErrorRate: 0 } },
    candidate: { errors: 100 },
    action: 'advance',
    checks: [],
  },
  // accuracy from ground truth joined by request id.
  {
    name: 'accuracy at min',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'min', value: 0.8 } }]),
    candidate: { labelled: 10, correct: 8 },
    action: 'advance',
    checks: ['accuracy:true'],
  },
  {
    name: 'accuracy below min',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'min', value: 0.8 } }]),
    candidate: { labelled: 10, correct: 7 },
    action: 'roll-back',
    checks: ['accuracy:false'],
  },
  {
    name: 'accuracy at max',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'max', value: 0.5 } }]),
    candidate: { labelled: 10, correct: 5 },
    action: 'advance',
  },
  {
    name: 'accuracy above max',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'max', value: 0.5 } }]),
    candidate: { labelled: 10, correct: 6 },
    action: 'roll-back',
  },
  {
    name: 'accuracy within max_regression of stable',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'maxRegression', value: 0.1 } }]),
    candidate: { labelled: 10, correct: 8 },
    stable: { labelled: 10, correct: 9 },
    action: 'advance',
  },
  {
    name: 'accuracy regressed beyond max_regression',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'maxRegression', value: 0.1 } }]),
    candidate: { labelled: 10, correct: 7 },
    stable: { labelled: 10, correct: 9 },
    action: 'roll-back',
  },
  {
    name: 'max_regression passes while stable has no labels',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'maxRegression', value: 0.1 } }]),
    candidate: { labelled: 10, correct: 0 },
    stable: { labelled: 0 },
    action: 'advance',
  },
  {
    name: 'accuracy counts labelled predictions, not requests',
    strategy: accuracy([{ metric: 'accuracy', bound: { case: 'min', value: 0.8 } }]),
    candidate: { requests: 100, labelled: 9, correct: 0 },
    action: 'advance',
    checks: ['accuracy:false'],
  },
  // Min samples: max(min_requests, 10), for judging a check and for passing a step.
  {
    name: 'a failing check below 10 samples is not judged',
    strategy: p99,
    candidate: { requests: 9, p99Ms: 80 },
    action: 'hold',
    checks: ['latency_p99:false'],
  },
  {
    name: 'a failing check at 10 samples is judged',
    strategy: p99,
    candidate: { requests: 10, p99Ms: 80 },
    action: 'roll-back',
  },
  { name: 'a baked step below 10 requests holds', candidate: { requests: 9 }, action: 'hold' },
  { name: 'a baked step at 10 requests advances', candidate: { requests: 10 }, action: 'advance' },
  {
    name: 'min_requests above 10 is the bar',
    strategy: { minRequests: 25, ...p99 },
    candidate: { requests: 24, p99Ms: 80 },
    action: 'hold',
  },
  {
    name: 'min_requests reached',
    strategy: { minRequests: 25 },
    candidate: { requests: 25 },
    action: 'advance',
  },
  {
    name: 'min_requests below 10 still needs 10',
    strategy: { minRequests: 3 },
    candidate: { requests: 9 },
    action: 'hold',
  },
  // Step duration: the step passes once now reaches its end.
  { name: 'a step before its end holds', stepEndTime: notBaked, action: 'hold' },
  { name: 'a step exactly at its end advances', stepEndTime: now.toISOString(), action: 'advance' },
  // After the last step: promote, or pause without auto_promote.
  { name: 'the last step promotes', stepIndex: 2, action: 'promote' },
  {
    name: 'the last step pauses without auto_promote',
    strategy: { autoPromote: false },
    stepIndex: 2,
    action: 'pause',
  },
];

describe('judgeCanary', () => {
  it.each(cases)('$name → $action', (test) => {
    const strategy = create(CanaryStrategySchema, {
      candidateVersion: 2n,
      stepPercents: [10, 50, 90],
      bakeDuration: durationFromMs(1000),
      autoPromote: true,
      ...test.strategy,
    });
    const decision = judgeCanary(
      {
        strategy,
        candidateVersion: 2,
        stepIndex: test.stepIndex ?? 0,
        stepEndTime: test.stepEndTime ?? baked,
      },
      { candidate: window(test.candidate), stable: window(test.stable) },
      now,
    );
    expect(decision.action).toBe(test.action);
    if (test.checks) {
      expect(decision.checks.map((check) => `${check.name}:${check.passed}`)).toEqual(test.checks);
    }
  });

  it('advances to the next step percent and names the step', () => {
    const strategy = create(CanaryStrategySchema, { stepPercents: [10, 50, 90], autoPromote: true });
    const decision = judgeCanary(
      { strategy, candidateVersion: 2, stepIndex: 0, stepEndTime: baked },
      { candidate: window(), stable: window() },
      now,
    );
    expect(decision).toMatchObject({
      action: 'advance',
      stepIndex: 1,
      percent: 50,
      reason: 'step 2 of 3 passed its checks',
    });
  });

  it('rolls back naming each failed check with observed and threshold, and only those', () => {
    const strategy = create(CanaryStrategySchema, {
      stepPercents: [10],
      slo: { maxLatencyP99: durationFromMs(50), maxErrorRate: 0.1 },
    });
    const decision = judgeCanary(
      { strategy, candidateVersion: 7, stepIndex: 0, stepEndTime: notBaked },
      { candidate: window({ requests: 30, errors: 10, p99Ms: 20 }), stable: window() },
      now,
    );
    expect(decision.action).toBe('roll-back');
    if (decision.action !== 'roll-back') return;
    expect(decision.reason).toBe('canary version 7 failed error_rate (0.333 against 0.1)');
    expect(decision.failed.map((check) => check.name)).toEqual(['error_rate']);
    expect(decision.checks.map((check) => check.name)).toEqual(['latency_p99', 'error_rate']);
    expect(decision.checks[0]).toMatchObject({
      observed: 20,
      threshold: 50,
      sampleCount: 30,
      checkTime: now.toISOString(),
    });
  });

  it('bakes a minute by default and checks a fifth of the bake apart, between 20 ms and 1 s', () => {
    expect(bakeMsOf(create(CanaryStrategySchema, {}))).toBe(60_000);
    expect(checkIntervalMs(create(CanaryStrategySchema, {}))).toBe(1000);
    expect(checkIntervalMs(create(CanaryStrategySchema, { bakeDuration: durationFromMs(500) }))).toBe(100);
    expect(checkIntervalMs(create(CanaryStrategySchema, { bakeDuration: durationFromMs(50) }))).toBe(20);
    expect(neededSamples(create(CanaryStrategySchema, { minRequests: 0 }))).toBe(10);
  });
});
