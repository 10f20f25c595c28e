import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DataType, ModelInstanceGroup_Kind } from '@flywheel/proto/inference/model_config_pb.js';
import { repoRoot, uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployWeather } from './oip-models.ts';
import {
  championDeployment,
  contentsRequest,
  expectedProbability,
  expectProbabilities,
  rejection,
  type Stack,
  sampleRows,
  startStack,
  v1Model,
} from './serving-harness.ts';

const run = promisify(execFile);

interface TritonStreamRun {
  config: {
    name: string;
    platform: string;
    backend: string;
    max_batch_size: number;
    input: { name: string; data_type: string; dims: string[] }[];
    output: { name: string; data_type: string; dims: string[] }[];
    dynamic_batching?: { preferred_batch_size: number[]; max_queue_delay_microseconds: string };
    instance_group: { name: string; kind: string; count: number }[];
  };
  stream: ({ id: string; probability: number[] } | { error: string })[];
  index: { name: string; version: string; state: string }[];
  unload: { status: string; message: string } | null;
}

const batching = { maxBatchSize: 8, maxQueueDelayUs: 2_000, preferredBatchSizes: [4, 8] };

describe("Triton's model configuration, streaming and repository extensions", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ stopManually: true });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('answers ModelConfig over gRPC and REST from the signature and the batching settings', async () => {
    const model = uniqueName('weather');
    const { version } = await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', version);
    await stack.serving.createDeployment({
      deployment: championDeployment('batched', model, {
        runtime: { instanceCount: 2, dynamicBatching: batching },
      }),
    });
    await deployWeather(stack, uniqueName('weather'), 'unbatched');

    const { config } = await stack.inference.modelConfig({ name: 'batched', version: '' });
    expect(config).toMatchObject({
      name: 'batched',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      maxBatchSize: 8,
      dynamicBatching: { preferredBatchSize: [4, 8], maxQueueDelayMicroseconds: 2000n },
      instanceGroup: [{ name: 'batched_0', kind: ModelInstanceGroup_Kind.CPU, count: 2 }],
    });
    expect(config!.input.map((t) => [t.name, t.dataType, t.dims])).toEqual(
      ['temp_max', 'temp_min', 'wind'].map((name) => [name, DataType.TYPE_FP32, [1n]]),
    );
    expect(config!.output.map((t) => [t.name, t.dataType, t.dims])).toEqual([
      ['probability', DataType.TYPE_FP32, [1n]],
      ['label', DataType.TYPE_INT64, [1n]],
    ]);
    const unbatched = (await stack.inference.modelConfig({ name: 'unbatched', version: '1' })).config!;
    expect(unbatched.dynamicBatching).toBeUndefined();
    expect(unbatched.maxBatchSize).toBe(2_147_483_647);
    expect(unbatched.instanceGroup).toMatchObject([{ count: 1 }]);
    await rejection(stack.inference.modelConfig({ name: 'unbatched', version: '7' }), 'not_found');
    await rejection(stack.inference.modelConfig({ name: 'nowhere', version: '' }), 'not_found');

    const rest = await fetch(`${stack.http}/v2/models/batched/versions/1/config`);
    expect(rest.status).toBe(200);
    expect(await rest.json()).toEqual({
      name: 'batched',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 8,
      input: ['temp_max', 'temp_min', 'wind'].map((name) => ({ name, data_type: 'TYPE_FP32', dims: [1] })),
      output: [
        { name: 'probability', data_type: 'TYPE_FP32', dims: [1] },
        { name: 'label', data_type: 'TYPE_INT64', dims: [1] },
      ],
      instance_group: [{ name: 'batched_0', kind: 'KIND_CPU', count: 2 }],
      dynamic_batching: { preferred_batch_size: [4, 8], max_queue_delay_microseconds: 2000 },
    });
    expect((await fetch(`${stack.http}/v2/models/nowhere/config`)).status).toBe(404);
  });

  it('answers each ModelStreamInfer request in order, a failed one in place with error_message', async () => {
    await deployWeather(stack, uniqueName('weather'), 'streamed');
    const before = (await stack.inference.modelStatistics({ name: 'streamed', version: '' })).modelStats[0];
    const requests = sampleRows.map((row, i) => ({
      ...contentsRequest(i === 1 ? 'nowhere' : 'streamed', [row]),
      id: `s${i}`,
    }));
    const answers = [];
    for await (const answer of stack.inference.modelStreamInfer(
      (async function* () {
        yield* requests;
      })(),
    )) {
      answers.push(answer);
    }
    expect(answers).toHaveLength(sampleRows.length);
    answers.forEach((answer, i) => {
      if (i === 1) {
        expect(answer.errorMessage).toMatch(/"nowhere" is not deployed/);
        expect(answer.inferResponse).toBeUndefined();
        return;
      }
      expect(answer.errorMessage).toBe('');
      expect(answer.inferResponse?.id).toBe(`s${i}`);
      const probability = answer.inferResponse!.outputs.find((o) => o.name === 'probability')!;
      expectProbabilities(probability.contents!.fp32Contents, v1Model, [sampleRows[i]!]);
    });
    const after = (await stack.inference.modelStatistics({ name: 'streamed', version: '' })).modelStats[0]!;
    expect(after.inferenceStats!.success!.count - (before?.inferenceStats?.success?.count ?? 0n)).toBe(
      BigInt(sampleRows.length - 1),
    );
  });

  it('ends a stream with the status of a message refused before inference, after the answers due', async () => {
    // One token for CreateDeployment, three for stream messages; about none refills in the test.
    const limited = await startStack({
      env: { FLYWHEEL_SERVING_PRINCIPAL_RATE: '0.001', FLYWHEEL_SERVING_PRINCIPAL_BURST: '4' },
    });
    await deployWeather(limited, uniqueName('weather'), 'limited');
    const answers: string[] = [];
    const streamed = async () => {
      const requests = (async function* () {
        for (let i = 0; i < 6; i++) yield { ...contentsRequest('limited', [sampleRows[0]!]), id: `l${i}` };
      })();
      for await (const answer of limited.inference.modelStreamInfer(requests)) {
        answers.push(answer.inferResponse?.id ?? answer.errorMessage);
      }
    };
    const refused = await rejection(streamed(), 'resource_exhausted');
    expect(refused.message).toContain('FLYWHEEL_SERVING_PRINCIPAL_RATE');
    expect(answers).toEqual(['l0', 'l1', 'l2']);
  });

  it('indexes the deployments it serves; load checks one is loaded, unload is refused naming DeleteDeployment', async () => {
    await deployWeather(stack, uniqueName('weather'), 'indexed');
    const { models } = await stack.inference.repositoryIndex({ ready: true });
    expect(models).toContainEqual(expect.objectContaining({ name: 'indexed', version: '1', state: 'READY' }));
    await stack.inference.repositoryModelLoad({ modelName: 'indexed' });
    const load = await rejection(stack.inference.repositoryModelLoad({ modelName: 'nowhere' }), 'not_found');
    expect(load.message).toContain('CreateDeployment');
    const parameters = await rejection(
      stack.inference.repositoryModelLoad({
        modelName: 'indexed',
        parameters: { config: { parameterChoice: { case: 'stringParam', value: '{}' } } },
      }),
      'unimplemented',
    );
    expect(parameters.message).toContain('parameters.config');
    const unload = await rejection(
      stack.inference.repositoryModelUnload({ modelName: 'indexed' }),
      'failed_precondition',
    );
    expect(unload.message).toContain('DeleteDeployment');
    const named = await rejection(
      stack.inference.repositoryIndex({ repositoryName: 'other' }),
      'unimplemented',
    );
    expect(named.message).toContain('repository_name');

    const index = await fetch(`${stack.http}/v2/repository/index`, {
      method: 'POST',
      body: '{"ready": true}',
    });
    expect(await index.json()).toContainEqual({ name: 'indexed', version: '1', state: 'READY', reason: '' });
    const restLoad = await fetch(`${stack.http}/v2/repository/models/indexed/load`, { method: 'POST' });
    expect(restLoad.status).toBe(200);
    const restUnload = await fetch(`${stack.http}/v2/repository/models/indexed/unload`, { method: 'POST' });
    expect(restUnload.status).toBe(400);
    expect(await restUnload.json()).toMatchObject({ error: expect.stringContaining('DeleteDeployment') });
    for (const route of [
      '/v2/systemsharedmemory/status',
      '/v2/trace/setting',
      '/v2/models/indexed/generate',
    ]) {
      const response = await fetch(`${stack.http}${route}`);
      expect({ route, status: response.status }).toEqual({ route, status: 501 });
    }
    expect((await fetch(`${stack.http}/v2/no/such/route`)).status).toBe(404);
  });

  it("works with tritonclient.grpc's get_model_config, start_stream/async_stream_infer and the repository calls", async () => {
    await deployWeather(stack, uniqueName('weather'), 'pythonic');
    const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
    const { stdout } = await run(
      python,
      ['test/python/triton_stream_config.py', stack.servingService.address, 'pythonic'],
      { cwd: repoRoot, timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as TritonStreamRun;
    expect(result.config).toMatchObject({
      name: 'pythonic',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 2_147_483_647,
      instance_group: [{ name: 'pythonic_0', kind: 'KIND_CPU', count: 1 }],
    });
    expect(result.config.input.map((t) => [t.name, t.data_type, t.dims])).toEqual(
      ['temp_max', 'temp_min', 'wind'].map((name) => [name, 'TYPE_FP32', ['1']]),
    );
    const rows = [
      [12.5, 5.0, 4.7],
      [25.1, 14.2, 2.1],
      [3.3, -2.8, 6.0],
      [8.0, 1.0, 3.0],
    ];
    expect(result.stream).toHaveLength(4);
    result.stream.forEach((answer, i) => {
      if (i === 2) {
        expect(answer).toEqual({ error: expect.stringContaining('gust') });
        return;
      }
      expect(answer).toMatchObject({ id: `r${i}` });
      const [probability] = (answer as { probability: number[] }).probability;
      expect(probability).toBeCloseTo(expectedProbability(v1Model, rows[i]!), 5);
    });
    expect(result.index).toContainEqual({ name: 'pythonic', version: '1', state: 'READY' });
    expect(result.unload).toEqual({
      status: 'StatusCode.FAILED_PRECONDITION',
      message: expect.stringContaining('DeleteDeployment'),
    });
  });
});
