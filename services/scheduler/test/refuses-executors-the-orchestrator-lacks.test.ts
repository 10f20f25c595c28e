import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

// Issue 15: a stored pipeline naming an executor the orchestrator does not have was accepted
// and failed only when run. With FLYWHEEL_SCHEDULER_EXECUTORS set, CreatePipeline and
// UpdatePipeline refuse it, naming the field.
describe('a step naming an executor the orchestrator lacks', () => {
  let h: SchedulerHarness;
  beforeAll(async () => {
    h = await startScheduler({ env: { FLYWHEEL_SCHEDULER_EXECUTORS: 'local, ray' } });
  });
  afterAll(async () => {
    await h.stop();
  });

  const spec = (executor: string) => ({
    steps: [
      { name: 'prepare', kind: { case: 'command' as const, value: { command: ['true'] } } },
      { name: 'train', kind: { case: 'command' as const, value: { command: ['true'], executor } } },
    ],
  });

  it('is refused by CreatePipeline; a configured one and the default are accepted', async () => {
    await expect(
      h.client.createPipeline({ pipeline: { name: 'on-k8s', spec: spec('kubernetes') } }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[1].command.executor',
      message: expect.stringContaining('no executor is named "kubernetes" (configured: local, ray)'),
    });
    await h.client.createPipeline({ pipeline: { name: 'on-ray', spec: spec('ray') } });
  });

  it('is refused by UpdatePipeline', async () => {
    await h.client.createPipeline({ pipeline: { name: 'updated', spec: spec('') } });
    await expect(
      h.client.updatePipeline({ pipelineName: 'updated', spec: spec('slurm') }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'spec.steps[1].command.executor',
    });
  });
});
