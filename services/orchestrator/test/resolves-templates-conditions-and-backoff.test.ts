// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { PipelineScope } from '@flywheel/pipelines';
import { RetryPolicySchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { describe, expect, it } from 'vitest';
import { maxAttemptsOf, retryDelayMs } from '../src/runs/retry-backoff.ts';
import { ConditionError, evaluateCondition } from '../src/runs/step-condition.ts';

const scope: PipelineScope = {
  params: { model: 'weather', margin: 0.01, window: { days: 30 } },
  steps: { evaluate: { passed: true, auc: 0.91, metrics: [{ name: 'auc', value: 0.91 }] } },
  run: { id: 'run-1', pipeline_name: 'retrain-weather' },
};

describe('conditions', () => {
  it('compares, combines and negates', () => {
    expect(evaluateCondition('', scope)).toBe(true);
    expect(evaluateCondition('${steps.evaluate.outputs.passed} == true', scope)).toBe(true);
    expect(
      evaluateCondition('${steps.evaluate.outputs.auc} >= 0.95 || ${params.model} == "weather"', scope),
    ).toBe(true);
    expect(evaluateCondition("!(${params.margin} < 0.1) && ${params.model} != 'weather'", scope)).toBe(false);
    expect(evaluateCondition('${steps.evaluate.outputs.passed}', scope)).toBe(true);
  });

  it('rejects what it cannot read', () => {
    expect(() => evaluateCondition('${params.model} >= 3', scope)).toThrow(ConditionError);
    expect(() => evaluateCondition('(true', scope)).toThrow(ConditionError);
    expect(() => evaluateCondition('true true', scope)).toThrow(ConditionError);
  });
});

describe('retry backoff', () => {
  const policy = create(RetryPolicySchema, {
    maxAttempts: 5,
    initialBackoff: durationFromMs(100),
    maxBackoff: durationFromMs(1000),
    backoffMultiplier: 3,
  });

  it('grows exponentially up to the cap, with jitter in the upper half', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n, () => 1))).toEqual([100, 300, 900, 1000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n, () => 0))).toEqual([50, 150, 450, 500]);
    expect(maxAttemptsOf(policy)).toBe(5);
    expect(maxAttemptsOf(undefined)).toBe(1);
  });
});
