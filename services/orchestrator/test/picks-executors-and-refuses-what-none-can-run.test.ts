import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandJob, JobExecutor } from '../src/index.ts';
import {
  builtinStep,
  nodeStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

// Issue 15: a step asking for 64 GPUs, 512 cores and 1 TiB ran on the local executor and
// succeeded; `image` was silently ignored. Each step now names its executor (or takes the
// default), and what no executor can ever run as asked is refused at SubmitRun.
describe('executor selection and what is refused at submit', () => {
  let orchestrator: TestOrchestrator;
  const seen: CommandJob[] = [];
  // A second executor through the JobExecutor port: it answers without running anything.
  const remote: JobExecutor = {
    name: 'remote',
    capacity: () => ({ cpu: 64, memoryMib: 256 * 1024, gpu: 8 }),
    run: async (job) => {
      seen.push(job);
      await job.started(`remote-${job.jobId}`);
      return { ranOn: 'remote', gpu: job.resources.gpu };
    },
  };

  beforeAll(async () => {
    orchestrator = await startOrchestrator({
      executors: [remote],
      builtins: { ok: async () => ({}) },
    });
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  it('runs a step on the executor it names and one naming none on the default, local', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        {
          name: 'gpu-train',
          kind: { case: 'command', value: { command: ['train'], executor: 'remote', image: 'trainer:1' } },
          resources: { gpu: 4, cpu: 16 },
        },
        nodeStep(
          'local-step',
          "require('node:fs').writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, '{\"ok\":true}')",
        ),
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(stepOf(done, 'gpu-train').attempts[0]).toMatchObject({ executor: 'remote' });
    expect(stepOf(done, 'gpu-train').outputs).toEqual({ ranOn: 'remote', gpu: 4 });
    expect(stepOf(done, 'local-step').attempts[0]).toMatchObject({ executor: 'local' });
    expect(seen.map((j) => [j.stepName, j.image, j.resources])).toEqual([
      ['gpu-train', 'trainer:1', { cpu: 16, memoryMib: 0, gpu: 4 }],
    ]);
  });

  const command = (extra: Record<string, unknown>) => ({
    kind: { case: 'command' as const, value: { command: ['true'], ...extra } },
  });
  const cases: [string, object[], string, string][] = [
    [
      'an executor no one has',
      [
        { name: 'a', ...command({}) },
        { name: 'b', ...command({ executor: 'kubernetes' }) },
      ],
      'inline_pipeline.spec.steps[1].command.executor',
      'no executor is named "kubernetes" (configured: local, remote)',
    ],
    [
      'more GPUs than the local executor has',
      [
        { name: 'a', ...command({}) },
        { name: 'b', ...command({}) },
        { name: 'c', ...command({}), resources: { gpu: 64 } },
      ],
      'inline_pipeline.spec.steps[2].resources.gpu',
      '64 GPUs requested, the local executor has 0',
    ],
    [
      'more cores than the named executor has',
      [{ name: 'a', ...command({ executor: 'remote' }), resources: { cpu: 512 } }],
      'inline_pipeline.spec.steps[0].resources.cpu',
      '512 cores requested, the remote executor has 64',
    ],
    [
      'more memory than the named executor has',
      [{ name: 'a', ...command({ executor: 'remote' }), resources: { memoryMib: 1024 * 1024 } }],
      'inline_pipeline.spec.steps[0].resources.memory_mib',
      '1048576 MiB requested, the remote executor has 262144 MiB',
    ],
    [
      'a built-in step asking for a GPU (built-ins run in the orchestrator)',
      [builtinStep('a', 'ok', {}), { ...builtinStep('b', 'ok'), resources: { gpu: 1 } }],
      'inline_pipeline.spec.steps[1].resources.gpu',
      '1 GPU requested, the local executor has 0',
    ],
    [
      'an image on a local step',
      [{ name: 'a', ...command({ image: 'python:3.12' }) }],
      'inline_pipeline.spec.steps[0].command.image',
      'the local executor runs no images',
    ],
  ];
  it.each(cases)('refuses %s, naming the step and the resource', async (_, steps, field, words) => {
    const error = await submit(orchestrator.client, { steps }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_argument', field });
    expect((error as Error).message).toContain(words);
  });
});
