// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { delay } from '@flywheel/core';
import { RunState, StepState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

/** Steps that wait for each other: they can only all finish if they run at the same time. */
function barrier() {
  const arrived = new Map<string, number>();
  return async (group: string, parties: number, signal: AbortSignal): Promise<void> => {
    arrived.set(group, (arrived.get(group) ?? 0) + 1);
    while ((arrived.get(group) ?? 0) < parties) await delay(5, signal);
  };
}

describe('the run engine orders and parallelises steps', () => {
  let orchestrator: TestOrchestrator;
  const meet = barrier();
  let running = 0;
  let mostAtOnce = 0;
  const builtins: BuiltinSteps = {
    emit: async ({ parameters }) => ({ value: parameters.value }),
    meet: async ({ parameters, signal, stepName }) => {
      await meet(String(parameters.group), Number(parameters.parties), signal);
      return { value: Number(parameters.value), by: stepName };
    },
    sum: async ({ parameters }) => ({ total: Number(parameters.a) + Number(parameters.b) }),
    hold: async ({ signal }) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      try {
        await delay(30, signal);
      } finally {
        running -= 1;
      }
      return {};
    },
  };

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins });
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  it('runs independent steps at the same time, dependents after their dependencies, passing outputs on', async () => {
    const run = await submit(orchestrator.client, {
      parameters: [{ name: 'base', defaultValue: { kind: { case: 'numberValue', value: 40 } } }],
      steps: [
        builtinStep('join', 'sum', {
          dependsOn: ['left', 'right'],
          parameters: { a: '${steps.left.outputs.value}', b: '${steps.right.outputs.value}' },
        }),
        builtinStep('prepare', 'emit', { parameters: { value: '${params.base}' } }),
        builtinStep('left', 'meet', {
          dependsOn: ['prepare'],
          parameters: { group: '${run.id}', parties: 2, value: '${steps.prepare.outputs.value}' },
          timeout: durationFromMs(10_000),
        }),
        builtinStep('right', 'meet', {
          dependsOn: ['prepare'],
          parameters: { group: '${run.id}', parties: 2, value: 2 },
          timeout: durationFromMs(10_000),
        }),
      ],
      outputs: { total: '${steps.join.outputs.total}', pipeline: 'ran ${run.pipeline_name}' },
    });
    expect(run.state).toBe(RunState.QUEUED);
    expect(run.steps.map((s) => s.name)).toEqual(['join', 'prepare', 'left', 'right']);

    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(done.outputs).toEqual({ total: 42, pipeline: 'ran test-pipeline' });
    expect(done.parameters).toEqual({ base: 40 });
    for (const step of done.steps) expect(step.state).toBe(StepState.SUCCEEDED);

    const [prepare, left, right, join] = ['prepare', 'left', 'right', 'join'].map((name) => {
      const step = stepOf(done, name);
      return { start: timestampMs(step.startTime!), end: timestampMs(step.endTime!) };
    }) as [
      { start: number; end: number },
      { start: number; end: number },
      { start: number; end: number },
      { start: number; end: number },
    ];
    expect(left.start).toBeGreaterThanOrEqual(prepare.end);
    expect(right.start).toBeGreaterThanOrEqual(prepare.end);
    // The two branches overlapped (the barrier guarantees it: neither could finish alone).
    expect(left.start).toBeLessThanOrEqual(right.end);
    expect(right.start).toBeLessThanOrEqual(left.end);
    expect(join.start).toBeGreaterThanOrEqual(Math.max(left.end, right.end));
    expect(stepOf(done, 'left').outputs).toEqual({ value: 40, by: 'left' });
    expect(stepOf(done, 'join').attempts).toHaveLength(1);
    expect(stepOf(done, 'join').attempts[0]).toMatchObject({
      runId: run.id,
      stepName: 'join',
      attempt: 1,
      executor: 'local',
    });
  });

  it('keeps to max_parallel_steps', async () => {
    running = 0;
    mostAtOnce = 0;
    const run = await submit(orchestrator.client, {
      maxParallelSteps: 2,
      steps: ['a', 'b', 'c', 'd', 'e'].map((name) => builtinStep(name, 'hold')),
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(mostAtOnce).toBeGreaterThanOrEqual(1);
    expect(mostAtOnce).toBeLessThanOrEqual(2);
  });
});
