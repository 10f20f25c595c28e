// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import type { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunState, StepState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  nodeStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

describe('OrchestratorService', () => {
  let orchestrator: TestOrchestrator;
  const calls = new Map<string, number>();
  let healthy = false;
  const builtins: BuiltinSteps = {
    ok: async ({ stepName, parameters }) => {
      calls.set(stepName, (calls.get(stepName) ?? 0) + 1);
      return { ...parameters };
    },
    fragile: async () => {
      if (!healthy) throw new AppError('failed_precondition', 'the champion is missing');
      return { promoted: true };
    },
  };

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ builtins });
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  describe('SubmitRun rejects a bad definition, naming the field', () => {
    const cases: [
      string,
      MessageInitShape<typeof PipelineSpecSchema>,
      Record<string, unknown>,
      string,
      string,
    ][] = [
      [
        'a duplicate step',
        { steps: [builtinStep('a', 'ok'), builtinStep('a', 'ok')] },
        {},
        'inline_pipeline.spec.steps[1].name',
        'duplicate',
      ],
      [
        'an unknown dependency',
        { steps: [builtinStep('a', 'ok', { dependsOn: ['ghost'] })] },
        {},
        'inline_pipeline.spec.steps[0].depends_on[0]',
        'ghost',
      ],
      [
        'a cycle',
        {
          steps: [
            builtinStep('a', 'ok', { dependsOn: ['c'] }),
            builtinStep('b', 'ok', { dependsOn: ['a'] }),
            builtinStep('c', 'ok', { dependsOn: ['b'] }),
          ],
        },
        {},
        'inline_pipeline.spec.steps[1].depends_on',
        'cycle',
      ],
      [
        'an unknown built-in',
        { steps: [builtinStep('a', 'deploy-to-mars')] },
        {},
        'inline_pipeline.spec.steps[0].builtin.name',
        'deploy-to-mars',
      ],
      [
        'a step without a kind',
        { steps: [{ name: 'a' }] },
        {},
        'inline_pipeline.spec.steps[0].kind',
        'builtin or command',
      ],
      [
        'a reference to a step that is not upstream',
        {
          steps: [
            builtinStep('a', 'ok'),
            builtinStep('b', 'ok', { parameters: { x: '${steps.a.outputs.y}' } }),
          ],
        },
        {},
        'inline_pipeline.spec.steps[1].parameters.x',
        'is not a step this one depends on',
      ],
      [
        'a malformed reference',
        { steps: [builtinStep('a', 'ok', { parameters: { x: '${param.y}' } })] },
        {},
        'inline_pipeline.spec.steps[0].parameters.x',
        'unknown root',
      ],
      [
        'an unknown parameter',
        { steps: [builtinStep('a', 'ok')] },
        { parameters: { surprise: 1 } },
        'parameters.surprise',
        'declares no parameter',
      ],
      [
        'a missing required parameter',
        { parameters: [{ name: 'model', required: true }], steps: [builtinStep('a', 'ok')] },
        {},
        'parameters.model',
        'required',
      ],
      [
        'a command parameter named inputs',
        { steps: [nodeStep('a', '', { parameters: { inputs: 1 } })] },
        {},
        'inline_pipeline.spec.steps[0].parameters.inputs',
        'reserved',
      ],
    ];
    it.each(cases)('%s', async (_, spec, extra, field, words) => {
      const error = await submit(orchestrator.client, spec, extra).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_argument', field });
      expect((error as Error).message).toContain(words);
    });

    it('a pipeline name that breaks the rules of the .proto', async () => {
      const error = await submit(
        orchestrator.client,
        { steps: [builtinStep('a', 'ok')] },
        {},
        'Not A Name',
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_argument', field: 'inline_pipeline.name' });
    });
  });

  it('SubmitRun is idempotent by request_id', async () => {
    const spec = { steps: [builtinStep('a', 'ok')] };
    const request = {
      pipeline: { case: 'inlinePipeline' as const, value: { name: 'idempotent', spec } },
      requestId: 'nightly-2024-05-01',
    };
    const first = await orchestrator.client.submitRun(request);
    const second = await orchestrator.client.submitRun(request);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.run?.id).toBe(first.run?.id);
    expect(second.run?.requestId).toBe('nightly-2024-05-01');
    expect(first.run?.trigger?.source).toBe(RunSource.MANUAL);
  });

  it('GetRun answers NOT_FOUND for an unknown run', async () => {
    await expect(orchestrator.client.getRun({ runId: 'missing-run' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('missing-run'),
    });
  });

  it('ListRuns pages through runs newest first and filters them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await submit(
        orchestrator.client,
        { steps: [builtinStep('a', 'ok')] },
        { labels: { n: String(i) } },
        'listed',
      );
      ids.push(run.id);
      await waitForFinal(orchestrator.client, run.id);
    }
    const failing = await submit(
      orchestrator.client,
      { steps: [nodeStep('boom', 'process.exit(1)')] },
      {},
      'listed',
    );
    await waitForFinal(orchestrator.client, failing.id);

    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await orchestrator.client.listRuns({
        pipelineName: 'listed',
        state: RunState.SUCCEEDED,
        pageSize: 2,
        pageToken,
      });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.id));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const failed = await orchestrator.client.listRuns({ pipelineName: 'listed', state: RunState.FAILED });
    expect(failed.runs.map((r) => r.id)).toEqual([failing.id]);

    await expect(orchestrator.client.listRuns({ pageToken: 'garbage' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'page_token',
    });
  });

  it('RetryRun re-runs the failed steps and keeps the succeeded ones when asked', async () => {
    healthy = false;
    const spec = {
      steps: [
        builtinStep('prepare', 'ok', { parameters: { rows: 10 } }),
        builtinStep('promote', 'fragile', { dependsOn: ['prepare'] }),
        builtinStep('report', 'ok', {
          dependsOn: ['promote'],
          parameters: { rows: '${steps.prepare.outputs.rows}' },
        }),
      ],
    };
    const original = await submit(orchestrator.client, spec, {}, 'retried');
    const failed = await waitForFinal(orchestrator.client, original.id);
    expect(failed.state).toBe(RunState.FAILED);
    expect(failed.failure?.message).toBe('the champion is missing');
    const preparedBefore = calls.get('prepare') ?? 0;

    await expect(orchestrator.client.retryRun({ runId: 'ghost' })).rejects.toMatchObject({
      code: 'not_found',
    });

    healthy = true;
    const { run: retry } = await orchestrator.client.retryRun({
      runId: original.id,
      reuseSucceededSteps: true,
      requestId: 'retry-1',
    });
    expect(retry?.id).not.toBe(original.id);
    expect(retry?.trigger).toMatchObject({ source: RunSource.RETRY, retryOfRunId: original.id });
    const again = await orchestrator.client.retryRun({
      runId: original.id,
      reuseSucceededSteps: true,
      requestId: 'retry-1',
    });
    expect(again.run?.id).toBe(retry?.id);

    const done = await waitForFinal(orchestrator.client, retry!.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(calls.get('prepare')).toBe(preparedBefore);
    expect(stepOf(done, 'prepare')).toMatchObject({
      state: StepState.SUCCEEDED,
      outputs: { rows: 10 },
      attempts: [],
    });
    expect(stepOf(done, 'report').outputs).toEqual({ rows: 10 });

    const { run: full } = await orchestrator.client.retryRun({ runId: original.id });
    await waitForFinal(orchestrator.client, full!.id);
    expect(calls.get('prepare')).toBe(preparedBefore + 1);
  });

  it('RetryRun refuses a run still in progress', async () => {
    const run = await submit(orchestrator.client, {
      steps: [nodeStep('long', 'setInterval(() => {}, 1000)')],
    });
    await expect(orchestrator.client.retryRun({ runId: run.id })).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    await orchestrator.client.cancelRun({ runId: run.id });
    expect((await waitForFinal(orchestrator.client, run.id)).state).toBe(RunState.CANCELLED);
  });

  it('skips a step whose condition is false, and its dependents decide with their own', async () => {
    const run = await submit(orchestrator.client, {
      parameters: [{ name: 'margin', defaultValue: { kind: { case: 'numberValue', value: 0.01 } } }],
      steps: [
        builtinStep('evaluate', 'ok', { parameters: { passed: false, gain: 0.002 } }),
        builtinStep('promote', 'ok', {
          dependsOn: ['evaluate'],
          condition:
            '${steps.evaluate.outputs.passed} == true && ${steps.evaluate.outputs.gain} >= ${params.margin}',
        }),
        builtinStep('notify', 'ok', { dependsOn: ['promote'] }),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'promote').state).toBe(StepState.SKIPPED);
    expect(stepOf(done, 'notify').state).toBe(StepState.SUCCEEDED);
  });

  it('WatchRun streams the run on every change until it ends', async () => {
    const run = await submit(orchestrator.client, {
      steps: [builtinStep('a', 'ok'), builtinStep('b', 'ok', { dependsOn: ['a'] })],
    });
    const states: RunState[] = [];
    let last: (typeof states)[number] | undefined;
    for await (const { run: snapshot } of orchestrator.client.watchRun({ runId: run.id })) {
      states.push(snapshot!.state);
      last = snapshot!.state;
    }
    expect(last).toBe(RunState.SUCCEEDED);
    expect(states.length).toBeGreaterThanOrEqual(2);
    await expect(
      (async () => {
        for await (const _ of orchestrator.client.watchRun({ runId: 'ghost' })) {
          // never reached
        }
      })(),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
