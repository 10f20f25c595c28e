import {
  DeploymentCreatedSchema,
  DeploymentRolledOutSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { DeploymentState, RouteRole } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  eventsOf,
  expectedProbability,
  expectProbabilities,
  float32sOf,
  rawRequest,
  rejection,
  sampleRows,
  startStack,
  v1Model,
} from './serving-harness.ts';

describe('serving a registered model over the Open Inference Protocol', () => {
  it('deploys models:/<model>@champion from the real registry and answers ready, metadata and inference', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    const { version } = await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', version);

    const { deployment } = await stack.serving.createDeployment({
      deployment: championDeployment('weather', model),
    });
    expect(deployment).toMatchObject({
      name: 'weather',
      team: 'default',
      state: DeploymentState.READY,
      stableVersion: 1n,
      routes: [{ modelVersion: 1n, role: RouteRole.STABLE, percent: 100 }],
      predictionLogging: { sampleRate: 1 },
    });

    expect(await stack.inference.serverLive({})).toMatchObject({ live: true });
    expect(await stack.inference.serverReady({})).toMatchObject({ ready: true });
    expect(await stack.inference.modelReady({ name: 'weather' })).toMatchObject({ ready: true });
    expect(await stack.inference.modelReady({ name: 'weather', version: '1' })).toMatchObject({
      ready: true,
    });
    expect(await stack.inference.modelReady({ name: 'weather', version: '2' })).toMatchObject({
      ready: false,
    });
    expect(await stack.inference.modelReady({ name: 'nope' })).toMatchObject({ ready: false });
    const server = await stack.inference.serverMetadata({});
    expect(server).toMatchObject({
      name: 'flywheel',
      extensions: ['model_configuration', 'model_repository', 'statistics'],
    });
    expect(server.version).toMatch(/^\d+\.\d+\.\d+/);

    const metadata = await stack.inference.modelMetadata({ name: 'weather' });
    expect(metadata).toMatchObject({
      name: 'weather',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'temp_max', datatype: 'FP32', shape: [-1n, 1n] },
        { name: 'temp_min', datatype: 'FP32', shape: [-1n, 1n] },
        { name: 'wind', datatype: 'FP32', shape: [-1n, 1n] },
      ],
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [-1n, 1n] },
        { name: 'label', datatype: 'INT64', shape: [-1n, 1n] },
      ],
    });

    await waitFor(
      () =>
        eventsOf(stack.bus, DeploymentCreatedSchema).length === 1 &&
        eventsOf(stack.bus, DeploymentRolledOutSchema).length === 1,
      { what: 'deployment.created and deployment.rolled-out' },
    );
    const events = {
      created: eventsOf(stack.bus, DeploymentCreatedSchema),
      rolledOut: eventsOf(stack.bus, DeploymentRolledOutSchema),
    };
    expect(events.created[0]).toMatchObject({
      deploymentName: 'weather',
      modelName: model,
      modelVersion: 1n,
      alias: 'champion',
      team: 'default',
    });
    expect(events.rolledOut[0]).toMatchObject({
      deploymentName: 'weather',
      modelVersion: 1n,
      previousVersion: 0n,
    });
  });

  it('computes the model’s probabilities from typed contents and from raw_input_contents', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('rain', model) });
    const expected = sampleRows.map((row) => expectedProbability(v1Model, row));

    const typed = await stack.inference.modelInfer({ ...contentsRequest('rain'), id: 'req-typed' });
    expect(typed).toMatchObject({ modelName: 'rain', modelVersion: '1', id: 'req-typed' });
    expect(typed.rawOutputContents).toEqual([]);
    const probability = typed.outputs.find((output) => output.name === 'probability')!;
    expect(probability).toMatchObject({ datatype: 'FP32', shape: [3n, 1n] });
    expectProbabilities(probability.contents!.fp32Contents, v1Model);
    const label = typed.outputs.find((output) => output.name === 'label')!;
    expect(label).toMatchObject({ datatype: 'INT64', shape: [3n, 1n] });
    expect(label.contents!.int64Contents).toEqual(expected.map((p) => (p >= 0.5 ? 1n : 0n)));

    const raw = await stack.inference.modelInfer({
      ...rawRequest('rain'),
      outputs: [{ name: 'probability' }],
    });
    expect(raw.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(raw.outputs).toMatchObject([{ name: 'probability', datatype: 'FP32', shape: [3n, 1n] }]);
    expect(raw.outputs[0]!.contents).toBeUndefined();
    expect(raw.rawOutputContents).toHaveLength(1);
    expectProbabilities(float32sOf(raw.rawOutputContents[0]!), v1Model);

    const pinned = await stack.inference.modelInfer({ ...contentsRequest('rain'), modelVersion: '1' });
    expect(pinned.modelVersion).toBe('1');
    const wrongVersion = await rejection(
      stack.inference.modelInfer({ ...contentsRequest('rain'), modelVersion: '7' }),
      'not_found',
    );
    expect(wrongVersion.message).toContain('"7"');
    await rejection(
      stack.inference.modelInfer({ ...contentsRequest('rain'), outputs: [{ name: 'logit' }] }),
      'invalid_argument',
    );

    const stats = await stack.inference.modelStatistics({ name: 'rain' });
    expect(stats.modelStats).toHaveLength(1);
    expect(stats.modelStats[0]).toMatchObject({
      name: 'rain',
      version: '1',
      inferenceCount: 9n,
      executionCount: 3n,
      inferenceStats: { success: { count: 3n }, fail: { count: 1n } },
    });
    expect(stats.modelStats[0]!.inferenceStats!.success!.ns).toBeGreaterThan(0n);
    expect(stats.modelStats[0]!.lastInference).toBeGreaterThan(0n);
  });

  it('answers NOT_FOUND for a model it does not serve', async () => {
    const stack = await startStack();
    const error = await rejection(stack.inference.modelInfer(contentsRequest('ghost')), 'not_found');
    expect(error.message).toContain('"ghost"');
    await rejection(stack.inference.modelMetadata({ name: 'ghost' }), 'not_found');
    await rejection(stack.inference.modelStatistics({ name: 'ghost' }), 'not_found');
    expect(await stack.inference.serverReady({})).toMatchObject({ ready: true });
  });
});
