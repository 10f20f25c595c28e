import { AppError } from '@flywheel/core';
import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { sampleSum, scrapePrometheus } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinStep,
  startOrchestrator,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

describe('run metrics', () => {
  let orchestrator: TestOrchestrator;
  beforeAll(async () => {
    orchestrator = await startOrchestrator({
      builtins: {
        ok: async () => ({ fine: true }),
        broken: async () => {
          throw AppError.invalidArgument('parameters.label', 'no such column');
        },
      },
    });
  });
  afterAll(() => orchestrator.stop());

  it('counts ended runs by pipeline and state, with run and step durations, on the metrics endpoint', async () => {
    const good = await submit(
      orchestrator.client,
      { steps: [builtinStep('prepare', 'ok'), builtinStep('train', 'ok', { dependsOn: ['prepare'] })] },
      {},
      'metrics-good',
    );
    const bad = await submit(
      orchestrator.client,
      { steps: [builtinStep('train', 'broken')] },
      {},
      'metrics-bad',
    );
    expect((await waitForFinal(orchestrator.client, good.id)).state).toBe(RunState.SUCCEEDED);
    expect((await waitForFinal(orchestrator.client, bad.id)).state).toBe(RunState.FAILED);

    const samples = await scrapePrometheus(orchestrator.service.metricsUrl!);
    const succeeded = { pipeline: 'metrics-good', state: 'succeeded', service: 'orchestrator' };
    const failed = { pipeline: 'metrics-bad', state: 'failed' };
    expect(sampleSum(samples, 'flywheel_pipeline_runs_total', succeeded)).toBe(1);
    expect(sampleSum(samples, 'flywheel_pipeline_runs_total', failed)).toBe(1);
    expect(sampleSum(samples, 'flywheel_pipeline_run_duration_seconds_count', succeeded)).toBe(1);
    expect(sampleSum(samples, 'flywheel_pipeline_run_duration_seconds_count', failed)).toBe(1);
    for (const step of ['prepare', 'train'])
      expect(
        sampleSum(samples, 'flywheel_pipeline_step_duration_seconds_count', {
          pipeline: 'metrics-good',
          step,
          state: 'succeeded',
        }),
      ).toBe(1);
    expect(
      sampleSum(samples, 'flywheel_pipeline_step_duration_seconds_count', {
        pipeline: 'metrics-bad',
        step: 'train',
        state: 'failed',
      }),
    ).toBe(1);
  });
});
