// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.

import { createMemoryBus } from '@flywheel/bus';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import {
  builtinStep,
  startOrchestrator,
  stepOf,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

describe('pipelines stored in the (real) scheduler', () => {
  const bus = createMemoryBus();
  let scheduler: InProcessService;
  let schedulerClient: ReturnType<typeof createRpcClient<(typeof SchedulerService)['method']>>;
  let orchestrator: TestOrchestrator;
  const builtins: BuiltinSteps = {
    echo: async ({ parameters, runId }) => ({ ...parameters, runId }),
  };

  beforeAll(async () => {
    scheduler = await startInProcess('scheduler', {
      load: loadSchedulerConfig,
      wire: wireScheduler,
      shared: { bus },
    });
    schedulerClient = createRpcClient(SchedulerService, { address: scheduler.address });
    orchestrator = await startOrchestrator({
      builtins,
      bus,
      env: { FLYWHEEL_SCHEDULER_GRPC_ADDRESS: scheduler.address },
    });
    await schedulerClient.createPipeline({
      pipeline: {
        name: 'stored-echo',
        team: 'forecasting',
        spec: {
          parameters: [{ name: 'model', defaultValue: { kind: { case: 'stringValue', value: 'weather' } } }],
          steps: [builtinStep('say', 'echo', { parameters: { model: '${params.model}' } })],
          outputs: { model: '${steps.say.outputs.model}' },
        },
      },
    });
  });
  afterAll(async () => {
    schedulerClient?.close();
    await orchestrator?.stop();
    await scheduler?.stop();
  });

  it('SubmitRun runs a stored pipeline by reference', async () => {
    const { run, created } = await orchestrator.client.submitRun({
      pipeline: { case: 'pipelineRef', value: { pipelineName: 'stored-echo' } },
      parameters: { model: 'churn' },
    });
    expect(created).toBe(true);
    expect(run).toMatchObject({ pipelineName: 'stored-echo', pipelineRevision: 1n, team: 'forecasting' });
    const done = await waitForFinal(orchestrator.client, run!.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(done.outputs).toEqual({ model: 'churn' });
  });

  it('SubmitRun answers NOT_FOUND for a pipeline the scheduler does not have', async () => {
    await expect(
      orchestrator.client.submitRun({
        pipeline: { case: 'pipelineRef', value: { pipelineName: 'never-created' } },
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it("SubmitRun answers NOT_FOUND, in a missing pipeline's words, for another team's pipeline", async () => {
    const missing = orchestrator.client.submitRun({
      team: 'growth',
      pipeline: { case: 'pipelineRef', value: { pipelineName: 'never-created' } },
    });
    await expect(missing).rejects.toMatchObject({ code: 'not_found' });
    const others = orchestrator.client.submitRun({
      team: 'growth',
      pipeline: { case: 'pipelineRef', value: { pipelineName: 'stored-echo' } },
    });
    await expect(others).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('pipeline "stored-echo" does not exist'),
    });
    const missingMessage = String(((await missing.catch((e) => e)) as Error).message);
    expect(missingMessage).toContain('pipeline "never-created" does not exist');
    const { runs } = await orchestrator.client.listRuns({ team: 'growth' });
    expect(runs.filter((r) => r.pipelineName === 'stored-echo')).toEqual([]);
  });

  it("the scheduler's TriggerRun becomes a run under the run id it allocated", async () => {
    const { runId } = await schedulerClient.triggerRun({
      pipelineName: 'stored-echo',
      requestId: 'manual-1',
    });
    const done = await waitForFinal(orchestrator.client, runId);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(done).toMatchObject({ id: runId, pipelineName: 'stored-echo', team: 'forecasting' });
    expect(done.trigger?.source).toBe(RunSource.MANUAL);
    expect(stepOf(done, 'say').outputs).toEqual({ model: 'weather', runId });
  });
});
