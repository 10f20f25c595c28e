import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

describe('pipelines are stored by revision', () => {
  let h: SchedulerHarness;
  beforeAll(async () => {
    h = await startScheduler();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('creates at revision 1 and refuses a taken name', async () => {
    const { pipeline } = await h.client.createPipeline({
      pipeline: { name: 'retrain', description: 'weekly', labels: { owner: 'ml' }, spec: retrainSpec() },
    });
    expect(pipeline).toMatchObject({
      name: 'retrain',
      team: 'default',
      revision: 1n,
      labels: { owner: 'ml' },
    });
    expect(pipeline?.audit?.createdBy?.subject).toBe('local');
    await expect(
      h.client.createPipeline({ pipeline: { name: 'retrain', spec: retrainSpec() } }),
    ).rejects.toMatchObject({
      code: 'already_exists',
      field: 'pipeline.name',
    });
  });

  it('updates to the next revision and keeps the earlier one readable', async () => {
    const spec = retrainSpec();
    spec.steps = spec.steps?.slice(0, 2) ?? [];
    spec.outputs = {};
    const { pipeline } = await h.client.updatePipeline({
      pipelineName: 'retrain',
      spec,
      expectedRevision: 1n,
    });
    expect(pipeline?.revision).toBe(2n);
    expect(pipeline?.description).toBe('weekly');
    const latest = await h.client.getPipeline({ pipelineName: 'retrain' });
    expect(latest.pipeline?.spec?.steps).toHaveLength(2);
    const first = await h.client.getPipeline({ pipelineName: 'retrain', revision: 1n });
    expect(first.pipeline?.spec?.steps).toHaveLength(5);
    await expect(h.client.getPipeline({ pipelineName: 'retrain', revision: 3n })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('refuses an update whose expected revision is stale', async () => {
    await expect(
      h.client.updatePipeline({
        pipelineName: 'retrain',
        spec: retrainSpec(),
        expectedRevision: 1n,
        description: 'x',
      }),
    ).rejects.toMatchObject({ code: 'failed_precondition', field: 'expected_revision' });
    const { pipeline } = await h.client.updatePipeline({
      pipelineName: 'retrain',
      spec: retrainSpec(),
      description: 'daily',
    });
    expect(pipeline).toMatchObject({ revision: 3n, description: 'daily' });
  });

  it('lists the latest revisions by name, a page at a time', async () => {
    await h.client.createPipeline({ pipeline: { name: 'another', team: 'fraud', spec: retrainSpec() } });
    await h.client.createPipeline({ pipeline: { name: 'third', spec: retrainSpec() } });
    const first = await h.client.listPipelines({ pageSize: 2 });
    expect(first.pipelines.map((p) => p.name)).toEqual(['another', 'retrain']);
    expect(first.pipelines[1]?.revision).toBe(3n);
    const second = await h.client.listPipelines({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.pipelines.map((p) => p.name)).toEqual(['third']);
    expect(second.nextPageToken).toBe('');
    const fraud = await h.client.listPipelines({ team: 'fraud' });
    expect(fraud.pipelines.map((p) => p.name)).toEqual(['another']);
    await expect(h.client.listPipelines({ pageToken: 'garbage' })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'page_token',
    });
  });

  it('deletes a pipeline with its schedules and trigger rules', async () => {
    await h.client.createSchedule({
      schedule: {
        name: 'nightly',
        pipelineName: 'third',
        cron: '0 3 * * *',
        parameters: { model_name: 'w' },
      },
    });
    await h.client.createTriggerRule({
      triggerRule: { name: 'on-drift', eventType: 'drift.detected', pipelineName: 'third', enabled: true },
    });
    await h.client.deletePipeline({ pipelineName: 'third' });
    await expect(h.client.getPipeline({ pipelineName: 'third' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(h.client.getSchedule({ scheduleName: 'nightly' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(h.client.getTriggerRule({ triggerRuleName: 'on-drift' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(h.client.deletePipeline({ pipelineName: 'third' })).rejects.toMatchObject({
      code: 'not_found',
      field: 'pipeline_name',
    });
  });
});
