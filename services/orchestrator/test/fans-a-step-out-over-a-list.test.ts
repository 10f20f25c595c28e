// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { durationFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError, delay } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { FailureKind } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { JobStartedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import {
  JobState,
  type Run,
  RunState,
  StepState,
} from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
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

const listDefault = (values: number[]) => ({
  kind: {
    case: 'listValue' as const,
    value: { values: values.map((value) => ({ kind: { case: 'numberValue' as const, value } })) },
  },
});

/** The most iterations of `step` whose [start, end] intervals overlap at one instant. */
function mostOverlapping(run: Run, step: string): number {
  const edges = stepOf(run, step).iterations.flatMap((it) => [
    { at: timestampMs(it.startTime!), delta: 1 },
    { at: timestampMs(it.endTime!), delta: -1 },
  ]);
  // At equal times an end comes before a start: touching intervals do not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) {
    open += edge.delta;
    most = Math.max(most, open);
  }
  return most;
}

describe('a step with for_each', () => {
  let orchestrator: TestOrchestrator;
  let recorder: ReturnType<typeof recordPipelineEvents>;
  const tries = new Map<string, number>();
  let running = 0;
  let mostAtOnce = 0;
  const arrived = new Map<string, number>();
  const builtins: BuiltinSteps = {
    square: async ({ parameters }) => {
      const x = Number(parameters.x);
      return { square: x * x, index: parameters.index, metrics: { loss: 1 / (1 + x) } };
    },
    split: async () => ({
      shards: [
        { name: 'a', rows: 2 },
        { name: 'b', rows: 3 },
      ],
    }),
    count: async ({ parameters }) => ({ rows: parameters.rows, label: parameters.label }),
    best: async ({ parameters }) => {
      const values = parameters.values as number[];
      return { best: Math.max(...values), all: parameters.all ?? null };
    },
    // Item 1 fails its first attempt (transient), then succeeds.
    flaky: async ({ runId, stepName, parameters, attempt }) => {
      const key = `${runId}/${stepName}`;
      tries.set(key, (tries.get(key) ?? 0) + 1);
      if (parameters.item === 1 && attempt === 1) throw new AppError('unavailable', 'a transient blip');
      return { item: parameters.item };
    },
    // Item 0 always fails; the others run until cancelled.
    broken: async ({ parameters, signal }) => {
      if (parameters.item === 0) throw AppError.invalidArgument('parameters.item', 'item 0 is bad');
      await delay(Number(parameters.holdMs ?? 0), signal);
      return { item: parameters.item };
    },
    // Iterations meet in pairs (0 with 1, 2 with 3…): a pair can only finish if both run at once.
    pairs: async ({ runId, parameters, signal }) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      const group = `${runId}/${Math.floor(Number(parameters.index) / 2)}`;
      arrived.set(group, (arrived.get(group) ?? 0) + 1);
      try {
        while ((arrived.get(group) ?? 0) < 2) await delay(5, signal);
      } finally {
        running -= 1;
      }
      return { done: true };
    },
  };

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins });
    recorder = recordPipelineEvents(orchestrator.bus);
  });
  afterAll(async () => {
    await recorder.close();
    await orchestrator.stop();
  });

  it('runs one job per item of a parameter list, gathering outputs by index for a downstream step', async () => {
    const run = await submit(orchestrator.client, {
      parameters: [{ name: 'xs', defaultValue: listDefault([1, 2, 3]) }],
      steps: [
        builtinStep('train', 'square', {
          forEach: { items: '${params.xs}' },
          parameters: { x: '${for_each.item}', index: '${for_each.index}' },
        }),
        builtinStep('pick', 'best', {
          dependsOn: ['train'],
          parameters: { values: '${steps.train.outputs.square}', all: '${steps.train.outputs}' },
        }),
      ],
      outputs: { best: '${steps.pick.outputs.best}' },
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    const train = stepOf(done, 'train');
    expect(train.state).toBe(StepState.SUCCEEDED);
    expect(train.attempts).toHaveLength(0);
    expect(train.iterations.map((it) => [it.name, it.index, it.item?.kind.value, it.state])).toEqual([
      ['train[0]', 0, 1, StepState.SUCCEEDED],
      ['train[1]', 1, 2, StepState.SUCCEEDED],
      ['train[2]', 2, 3, StepState.SUCCEEDED],
    ]);
    expect(train.iterations[2]?.outputs).toEqual({ square: 9, index: 2, metrics: { loss: 0.25 } });
    expect(train.iterations[2]?.metrics).toEqual({ loss: 0.25 });
    expect(train.iterations[1]?.attempts[0]).toMatchObject({
      stepName: 'train[1]',
      attempt: 1,
      state: JobState.SUCCEEDED,
    });
    expect(train.outputs?.square).toEqual([1, 4, 9]);
    expect(train.outputs?.index).toEqual([0, 1, 2]);
    expect(stepOf(done, 'pick').outputs?.all).toMatchObject({ square: [1, 4, 9] });
    expect(done.outputs).toEqual({ best: 9 });
    // Iterations' metrics stay on the iterations: the run's are the other steps'.
    expect(done.metrics).toEqual({});
    // One job per iteration, with its events as today.
    const started = recorder.events
      .filter((e) => e.subject === run.id && e.type === 'job.started')
      .map((e) => decodeEvent(JobStartedSchema, e).stepName)
      .sort();
    expect(started).toEqual(['pick', 'train[0]', 'train[1]', 'train[2]']);
  });

  it('takes a literal list, and objects with ${for_each.item.<field>}', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('count', 'count', {
          forEach: { items: '[{"rows": 5, "label": "x"}, {"rows": 7, "label": "y"}]' },
          parameters: {
            rows: '${for_each.item.rows}',
            label: 'shard ${for_each.index}: ${for_each.item.label}',
          },
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'count').outputs).toEqual({ rows: [5, 7], label: ['shard 0: x', 'shard 1: y'] });
  });

  it('fans out over a list an upstream step outputs, known only when it finished', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('split', 'split'),
        builtinStep('count', 'count', {
          dependsOn: ['split'],
          forEach: { items: '${steps.split.outputs.shards}' },
          parameters: { rows: '${for_each.item.rows}', label: '${for_each.item.name}' },
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    const count = stepOf(done, 'count');
    expect(count.iterations).toHaveLength(2);
    expect(count.outputs).toEqual({ rows: [2, 3], label: ['a', 'b'] });
  });

  it('succeeds with zero iterations on an empty list', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('train', 'square', { forEach: { items: '[]' }, parameters: { x: '${for_each.item}' } }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'train').state).toBe(StepState.SUCCEEDED);
    expect(stepOf(done, 'train').iterations).toHaveLength(0);
    expect(stepOf(done, 'train').outputs).toEqual({});
  });

  it('fails the step naming steps[i].for_each.items when an upstream output is not a list', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('split', 'split'),
        builtinStep('count', 'count', {
          dependsOn: ['split'],
          forEach: { items: '${steps.split.outputs.shards.0}' },
          parameters: { rows: '${for_each.item}' },
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    expect(done.failure?.kind).toBe(FailureKind.INVALID);
    expect(done.failure?.stepName).toBe('count');
    expect(done.failure?.message).toContain('steps[1].for_each.items: must be a JSON list');
  });

  it('refuses at submit a statically known items that is not a list, or too long', async () => {
    await expect(
      submit(orchestrator.client, {
        parameters: [{ name: 'lr', defaultValue: { kind: { case: 'numberValue', value: 0.1 } } }],
        steps: [builtinStep('train', 'square', { forEach: { items: '${params.lr}' } })],
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'inline_pipeline.spec.steps[0].for_each.items',
    });
    await expect(
      submit(
        orchestrator.client,
        {
          parameters: [{ name: 'xs', defaultValue: listDefault([1]) }],
          steps: [builtinStep('train', 'square', { forEach: { items: '${params.xs}' } })],
        },
        { parameters: { xs: Array.from({ length: 1001 }, (_, i) => i) } },
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('at most 1000') });
    await expect(
      submit(orchestrator.client, {
        steps: [builtinStep('train', 'square', { parameters: { x: '${for_each.item}' } })],
      }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('only a step with for_each'),
    });
  });

  it('retries a failing iteration on its own, like a step', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('fetch', 'flaky', {
          forEach: { items: '[0, 1, 2]' },
          retry: quickRetries(3),
          parameters: { item: '${for_each.item}' },
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    const fetch = stepOf(done, 'fetch');
    expect(fetch.iterations.map((it) => it.attempts.length)).toEqual([1, 2, 1]);
    expect(fetch.iterations[1]?.attempts[0]?.state).toBe(JobState.FAILED);
    expect(fetch.outputs).toEqual({ item: [0, 1, 2] });
    expect(tries.get(`${run.id}/fetch[1]`)).toBe(2);
  });

  it('fails the step and the run when an iteration fails after its retries, cancelling the rest', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('train', 'broken', {
          forEach: { items: '[0, 1, 2, 3, 4, 5]', parallelism: 3 },
          retry: quickRetries(2),
          parameters: { item: '${for_each.item}', holdMs: 30_000 },
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.FAILED);
    const train = stepOf(done, 'train');
    expect(train.state).toBe(StepState.FAILED);
    expect(train.failure?.message).toContain('iteration train[0] failed: parameters.item: item 0 is bad');
    expect(done.failure?.stepName).toBe('train');
    const states = train.iterations.map((it) => it.state);
    expect(states[0]).toBe(StepState.FAILED);
    // The invalid-argument failure is not retried; the others never finished.
    expect(train.iterations[0]?.attempts).toHaveLength(1);
    expect(states.filter((s) => s === StepState.CANCELLED)).toHaveLength(5);
    expect(train.iterations.slice(3).every((it) => it.attempts.length === 0)).toBe(true);
  });

  it('keeps to parallelism: never more iterations at once, and that many at once', async () => {
    running = 0;
    mostAtOnce = 0;
    const run = await submit(orchestrator.client, {
      steps: [
        builtinStep('sweep', 'pairs', {
          forEach: { items: '[1, 2, 3, 4, 5, 6]', parallelism: 2 },
          parameters: { index: '${for_each.index}' },
          timeout: durationFromMs(20_000),
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'sweep').iterations).toHaveLength(6);
    expect(mostAtOnce).toBe(2);
    expect(mostOverlapping(done, 'sweep')).toBe(2);
  });

  it('evaluates a condition once for the whole step', async () => {
    const run = await submit(orchestrator.client, {
      parameters: [{ name: 'go', defaultValue: { kind: { case: 'boolValue', value: false } } }],
      steps: [
        builtinStep('train', 'square', {
          forEach: { items: '[1, 2]' },
          condition: '${params.go} == true',
          parameters: { x: '${for_each.item}' },
        }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'train').state).toBe(StepState.SKIPPED);
    expect(stepOf(done, 'train').iterations).toHaveLength(0);
  });
});
