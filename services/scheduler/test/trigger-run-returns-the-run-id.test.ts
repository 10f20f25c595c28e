import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';
import { RunRequestStatus } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('TriggerRun requests a run at once', () => {
  let h: SchedulerHarness;
  const runs = () => h.events(PipelineRunRequestedSchema).map((e) => e.payload);

  beforeAll(async () => {
    h = await startScheduler();
    await h.client.createPipeline({
      pipeline: { name: 'retrain-weather', team: 'forecast', spec: retrainSpec() },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('returns the allocated run id, and pipeline.run-requested carries it', async () => {
    const response = await h.client.triggerRun({
      pipelineName: 'retrain-weather',
      parameters: { model_name: 'weather' },
      requestId: 'backfill-2024-05-20',
    });
    expect(response.runId).toMatch(/^run_/);
    expect(response.runRequest).toMatchObject({
      runId: response.runId,
      pipelineName: 'retrain-weather',
      pipelineRevision: 1n,
      team: 'forecast',
      status: RunRequestStatus.REQUESTED,
      clientRequestId: 'backfill-2024-05-20',
      parameters: { model_name: 'weather', reason: 'manual' },
      trigger: { source: RunSource.MANUAL },
    });
    const [run] = await waitFor(() => runs().length === 1 && runs(), { what: 'pipeline.run-requested' });
    expect(run).toMatchObject({
      runId: response.runId,
      runRequestId: response.runRequest?.id,
      pipelineRevision: 1n,
      parameters: { model_name: 'weather', reason: 'manual' },
      principal: { subject: 'local' },
    });
    expect(run?.spec?.steps).toHaveLength(5);
  });

  it('is idempotent by request_id', async () => {
    const again = await h.client.triggerRun({
      pipelineName: 'retrain-weather',
      parameters: { model_name: 'weather' },
      requestId: 'backfill-2024-05-20',
    });
    const { runRequests } = await h.client.listRunRequests({ source: RunSource.MANUAL });
    expect(runRequests).toHaveLength(1);
    expect(again.runId).toBe(runRequests[0]?.runId);
    const other = await h.client.triggerRun({
      pipelineName: 'retrain-weather',
      parameters: { model_name: 'weather' },
    });
    expect(other.runId).not.toBe(again.runId);
    await waitFor(() => runs().length === 2, { what: 'the second run' });
    expect(new Set(runs().map((r) => r.runId))).toEqual(new Set([again.runId, other.runId]));
  });

  it('runs an earlier revision when asked', async () => {
    const spec = retrainSpec();
    spec.steps = spec.steps?.slice(0, 1) ?? [];
    spec.outputs = {};
    await h.client.updatePipeline({ pipelineName: 'retrain-weather', spec });
    const { runId } = await h.client.triggerRun({
      pipelineName: 'retrain-weather',
      pipelineRevision: 1n,
      parameters: { model_name: 'weather' },
    });
    const run = await waitFor(() => runs().find((r) => r.runId === runId));
    expect(run.pipelineRevision).toBe(1n);
    expect(run.spec?.steps).toHaveLength(5);
  });

  it('rejects what the pipeline does not take, naming the parameter', async () => {
    await expect(
      h.client.triggerRun({ pipelineName: 'retrain-weather', parameters: { model_name: 'w', epochs: 3 } }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'parameters.epochs' });
    await expect(h.client.triggerRun({ pipelineName: 'retrain-weather' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'parameters.model_name',
      message: expect.stringContaining('required'),
    });
    await expect(h.client.triggerRun({ pipelineName: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
      field: 'pipeline_name',
    });
  });
});
