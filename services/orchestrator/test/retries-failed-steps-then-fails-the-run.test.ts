// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { JobFailedSchema, PipelineRunFailedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { JobState, RunState, StepState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  nodeStep,
  recordPipelineEvents,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

const quickRetries = (maxAttempts: number) => ({
  maxAttempts,
  initialBackoff: durationFromMs(10),
  maxBackoff: durationFromMs(50),
});

describe('retries', () => {
  let orchestrator: TestOrchestrator;
  let recorder: ReturnType<typeof recordPipelineEvents>;
  const calls = new Map<string, number>();
  const builtins: BuiltinSteps = {
    flaky: async ({ runId, attempt }) => {
      calls.set(runId, (calls.get(runId) ?? 0) + 1);
      if (attempt < 3)
        throw new AppError('unavailable', `the feature store is not reachable (attempt ${attempt})`);
      return { attempt };
    },
    broken: async ({ runId }) => {
      calls.set(runId, (calls.get(runId) ?? 0) + 1);
      throw AppError.invalidArgument('parameters.label', 'no such column');
    },
    ok: async () => ({ fine: true }),
  };

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins });
    recorder = recordPipelineEvents(orchestrator.bus);
  });
  afterAll(async () => {
    await recorder.close();
    await orchestrator.stop();
  });

  it('retries a failing built-in with backoff until it succeeds', async () => {
    const run = await submit(orchestrator.client, {
      steps: [builtinStep('fetch', 'flaky', { retry: quickRetries(3) })],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    const fetch = stepOf(done, 'fetch');
    expect(fetch.attempts.map((a) => [a.attempt, a.state])).toEqual([
      [1, JobState.FAILED],
      [2, JobState.FAILED],
      [3, JobState.SUCCEEDED],
    ]);
    expect(fetch.attempts[0]?.failure?.message).toContain('not reachable (attempt 1)');
    expect(fetch.outputs).toEqual({ attempt: 3 });
  });

  it('retries a command that exits non-zero', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        nodeStep('cmd', "process.exit(process.env.FLYWHEEL_ATTEMPT === '1' ? 3 : 0)", {
          retry: quickRetries(2),
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'cmd').attempts.map((a) => [a.state, a.exitCode])).toEqual([
      [JobState.FAILED, 3],
      [JobState.SUCCEEDED, 0],
    ]);
  });

  it('fails the run with the step error after the last attempt and skips the dependents', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        nodeStep(
          'train',
          "console.log('loading'); console.error('ValueError: label column is empty'); process.exit(7)",
          {
            retry: quickRetries(2),
          },
        ),
        builtinStep('evaluate', 'ok', { dependsOn: ['train'] }),
        builtinStep('register', 'ok', { dependsOn: ['evaluate'] }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    expect(done.failure).toMatchObject({ kind: FailureKind.STEP_FAILED, stepName: 'train', exitCode: 7 });
    expect(done.failure?.message).toContain('ValueError: label column is empty');
    expect(done.failure?.message).toContain('exited with code 7');
    const train = stepOf(done, 'train');
    expect(train.state).toBe(StepState.FAILED);
    expect(train.attempts).toHaveLength(2);
    expect(stepOf(done, 'evaluate').state).toBe(StepState.SKIPPED);
    expect(stepOf(done, 'register').state).toBe(StepState.SKIPPED);
    expect(stepOf(done, 'evaluate').attempts).toHaveLength(0);

    const failed = await waitFor(() => {
      const events = recorder.events.filter((e) => e.subject === run.id);
      const jobFailures = events
        .filter((e) => e.type === 'job.failed')
        .map((e) => decodeEvent(JobFailedSchema, e));
      const runFailed = events.find((e) => e.type === 'pipeline.run-failed');
      return jobFailures.length === 2 && runFailed ? { jobFailures, runFailed } : undefined;
    });
    expect(failed.jobFailures.map((j) => [j.attempt, j.willRetry, j.failure?.exitCode])).toEqual([
      [1, true, 7],
      [2, false, 7],
    ]);
    expect(failed.jobFailures[0]?.nextAttemptTime).toBeDefined();
    const payload = decodeEvent(PipelineRunFailedSchema, failed.runFailed);
    expect(payload.failure).toMatchObject({ kind: FailureKind.STEP_FAILED, stepName: 'train', exitCode: 7 });
  });

  it('does not retry a built-in error that is not retriable', async () => {
    const run = await submit(orchestrator.client, {
      steps: [builtinStep('train', 'broken', { retry: quickRetries(5) })],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    expect(calls.get(run.id)).toBe(1);
    expect(done.failure).toMatchObject({ kind: FailureKind.STEP_FAILED, stepName: 'train' });
    expect(done.failure?.message).toBe('parameters.label: no such column');
  });

  it('fails a step whose template does not resolve, without retrying', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('first', 'ok'),
        builtinStep('second', 'ok', {
          dependsOn: ['first'],
          parameters: { x: '${steps.first.outputs.missing}' },
          retry: quickRetries(3),
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    expect(done.failure).toMatchObject({ kind: FailureKind.INVALID, stepName: 'second' });
    expect(done.failure?.message).toContain('${steps.first.outputs.missing}');
    expect(stepOf(done, 'second').attempts).toHaveLength(1);
  });
});
