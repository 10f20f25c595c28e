import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RayJobOptionsSchema, StepSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { realRayAddress, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacityOfNodes, createRayClusterCapacity } from '../src/executors/ray-cluster-capacity.ts';
import { createRayJobExecutor } from '../src/executors/ray-job-executor.ts';
import { createRayJobsClient } from '../src/executors/ray-jobs-client.ts';
import type { JobExecutor, JobResources } from '../src/index.ts';
import {
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

// Issue 15: a Ray step asking for more than any Ray node has waited PENDING until its timeout.
// The Ray executor now lists the real Ray's nodes (scripts/servers: one head node, 2 CPUs and one
// advertised GPU) and SubmitRun refuses what its largest node cannot give one job.
const address = realRayAddress();

/** A step on Ray that reports the GPU Ray gave it (CUDA_VISIBLE_DEVICES). */
const gpuProbe =
  "require('node:fs').writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ cuda: process.env.CUDA_VISIBLE_DEVICES ?? '' }))";
const onRay = (
  name: string,
  resources: object,
  ray?: MessageInitShape<typeof RayJobOptionsSchema>,
): MessageInitShape<typeof StepSchema> => ({
  name,
  resources,
  kind: {
    case: 'command',
    value: { command: [process.execPath, '-e', gpuProbe], executor: 'ray', ...(ray ? { ray } : {}) },
  },
});

describe('the Ray executor refuses at submit what no Ray node can run', { timeout: 180_000 }, () => {
  let orchestrator: TestOrchestrator;
  let ray: JobExecutor;
  let capacity: JobResources;

  beforeAll(async () => {
    ray = createRayJobExecutor({ address, pollMs: 250 });
    capacity = await waitFor(() => ray.capacity?.(), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: "the Ray executor to learn Ray's nodes",
    });
    orchestrator = await startOrchestrator({ executors: [ray] });
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.stop();
  });

  it("learns the largest node's CPUs, memory and GPUs from Ray's State API", async () => {
    const client = createRayJobsClient(address);
    const alive = (await client.nodes()).filter((node) => node.state === 'ALIVE');
    const most = (name: string) => Math.max(...alive.map((node) => node.resources_total[name] ?? 0));
    expect(capacity).toEqual({
      cpu: most('CPU'),
      gpu: most('GPU'),
      memoryMib: Math.floor(most('memory') / (1024 * 1024)),
    });
    // servers.sh advertises one GPU (FLYWHEEL_RAY_NUM_GPUS) so that GPU steps can land on Ray.
    expect(capacity.gpu).toBeGreaterThanOrEqual(1);
    expect(capacity.cpu).toBeGreaterThanOrEqual(1);
  });

  // Each case built from the capacity learnt (known only once beforeAll has run).
  type Refusal = (c: JobResources) => { steps: object[]; field: string; words: string };
  const refusals: [string, Refusal][] = [
    [
      '64 GPUs and 512 cores',
      (c) => ({
        steps: [onRay('fits', {}), onRay('huge', { gpu: 64, cpu: 512 })],
        field: 'inline_pipeline.spec.steps[1].resources.gpu',
        words: `64 GPUs requested, the ray executor has ${c.gpu}`,
      }),
    ],
    [
      'one GPU more than the largest node has',
      (c) => ({
        steps: [onRay('gpus', { gpu: c.gpu + 1 })],
        field: 'inline_pipeline.spec.steps[0].resources.gpu',
        words: `${c.gpu + 1} GPUs requested, the ray executor has ${c.gpu}`,
      }),
    ],
    [
      '512 cores',
      (c) => ({
        steps: [onRay('cores', { cpu: 512 })],
        field: 'inline_pipeline.spec.steps[0].resources.cpu',
        words: `512 cores requested, the ray executor has ${c.cpu}`,
      }),
    ],
    [
      'more memory than the largest node',
      (c) => ({
        steps: [onRay('memory', { memoryMib: c.memoryMib + 1 })],
        field: 'inline_pipeline.spec.steps[0].resources.memory_mib',
        words: `${c.memoryMib + 1} MiB requested`,
      }),
    ],
    [
      'a custom Ray resource no node has',
      () => ({
        steps: [onRay('tpu', {}, { entrypointResources: { tpu_pod: 1 } })],
        field: 'inline_pipeline.spec.steps[0].command.ray.entrypoint_resources.tpu_pod',
        words: 'Ray resource tpu_pod requested, the largest of',
      }),
    ],
    [
      "more GPUs in command.ray than the largest node's",
      (c) => ({
        steps: [onRay('ray-gpus', {}, { entrypointNumGpus: c.gpu + 1 })],
        field: 'inline_pipeline.spec.steps[0].command.ray.entrypoint_num_gpus',
        words: `${c.gpu + 1} of Ray resource GPU requested`,
      }),
    ],
  ];
  it.each(refusals)('refuses %s, naming the step and the resource', async (_, build) => {
    const { steps, field, words } = build(capacity);
    const error = await submit(orchestrator.client, { steps: steps as never }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_argument', field });
    expect((error as Error).message).toContain(words);
  });

  it('runs a GPU step within capacity on Ray, with the GPU Ray reserved for it', async () => {
    const run = await submit(orchestrator.client, { steps: [onRay('train', { gpu: 1, cpu: 1 })] });
    const done = await waitForFinal(orchestrator.client, run.id, 150_000);
    expect({ state: RunState[done.state], failure: done.failure?.message ?? '' }).toEqual({
      state: 'SUCCEEDED',
      failure: '',
    });
    expect(stepOf(done, 'train').attempts[0]).toMatchObject({ executor: 'ray' });
    // Ray hands the job its reserved GPU's index (the GPU is advertised, not present).
    expect(stepOf(done, 'train').outputs).toEqual({ cuda: '0' });
  });
});

describe('the Ray executor while Ray is unreachable', { timeout: 120_000 }, () => {
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const unreachable = 'http://127.0.0.1:9';

  it('knows no capacity after a failed refresh: nothing is refused on it', async () => {
    const cluster = createRayClusterCapacity({ client: createRayJobsClient(unreachable), refreshMs: 60_000 });
    await cluster.refresh();
    expect(cluster.current()).toBeUndefined();
    const real = createRayClusterCapacity({ client: createRayJobsClient(address), refreshMs: 60_000 });
    await real.refresh();
    expect(real.current()?.nodes).toBeGreaterThanOrEqual(1);
  });

  it('accepts a run asking for 64 GPUs (it waits for Ray) and cancels it', async () => {
    const orchestrator = await startOrchestrator({
      executors: [createRayJobExecutor({ address: unreachable, pollMs: 250 })],
    });
    try {
      const run = await submit(orchestrator.client, { steps: [onRay('huge', { gpu: 64 })] });
      await orchestrator.client.cancelRun({ runId: run.id });
      const done = await waitForFinal(orchestrator.client, run.id, 60_000);
      expect(RunState[done.state]).toBe('CANCELLED');
    } finally {
      await orchestrator.stop();
    }
  });
});

describe("the largest node of Ray's list", () => {
  it('takes each resource from the alive node that has most of it, ignoring dead nodes', () => {
    const node = (state: 'ALIVE' | 'DEAD', resources_total: Record<string, number>) => ({
      node_id: crypto.randomUUID(),
      state,
      resources_total,
    });
    const capacity = capacityOfNodes([
      node('ALIVE', { CPU: 8, memory: 16 * 1024 ** 3 }),
      node('ALIVE', { CPU: 2, GPU: 1, memory: 4 * 1024 ** 3, tpu_pod: 2 }),
      node('DEAD', { CPU: 96, GPU: 8 }),
    ]);
    expect(capacity).toEqual({
      resources: { cpu: 8, gpu: 1, memoryMib: 16 * 1024 },
      byName: { CPU: 8, GPU: 1, memory: 16 * 1024 ** 3, tpu_pod: 2 },
      nodes: 2,
    });
    expect(capacityOfNodes([node('DEAD', { CPU: 4 })])).toBeUndefined();
  });
});
