import { PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  eventsOf,
  expectedProbability,
  features,
  rawRequest,
  type Stack,
  sampleRows,
  startStack,
  v1Model,
} from './serving-harness.ts';

const logged = (stack: Stack, deployment: string) =>
  eventsOf(stack.bus, PredictionLoggedSchema).filter((event) => event.deploymentName === deployment);

const predictionsOf = (stack: Stack, deployment: string) =>
  logged(stack, deployment).flatMap((e) => e.predictions);

/** Registers v1 of a fresh model as its champion; returns the model name. */
async function registerChampion(stack: Stack): Promise<string> {
  const model = uniqueName('weather');
  await stack.register(model, v1Model);
  await stack.setAlias(model, 'champion', 1n);
  return model;
}

describe('prediction logging', () => {
  it('publishes prediction.logged batches with each input by feature name', async () => {
    const stack = await startStack();
    const model = await registerChampion(stack);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, { team: 'forecast' }),
    });

    await stack.inference.modelInfer({ ...contentsRequest('weather'), id: 'req-1' });
    await stack.inference.modelInfer({ ...rawRequest('weather', [sampleRows[0]!]), id: 'req-2' });

    const predictions = await waitFor(
      () => predictionsOf(stack, 'weather').length === 4 && predictionsOf(stack, 'weather'),
      {
        what: 'four logged predictions',
      },
    );
    const event = logged(stack, 'weather')[0]!;
    expect(event).toMatchObject({
      modelName: model,
      modelVersion: 1n,
      deploymentName: 'weather',
      team: 'forecast',
      sampleRate: 1,
      droppedCount: 0n,
    });
    const first = predictions.filter((p) => p.requestId === 'req-1');
    expect(first.map((p) => p.rowIndex)).toEqual([0, 1, 2]);
    first.forEach((prediction, i) => {
      const row = sampleRows[i]!;
      expect(Object.keys(prediction.inputs).sort()).toEqual([...features].sort());
      features.forEach((feature, j) => {
        expect(prediction.inputs[feature]!.kind).toMatchObject({
          case: 'doubleValue',
          value: Math.fround(row[j]!),
        });
      });
      const probability = prediction.outputs.probability!.kind;
      expect(probability.case).toBe('doubleValue');
      expect(probability.value as number).toBeCloseTo(expectedProbability(v1Model, row), 5);
      expect(prediction.outputs.label!.kind.case).toBe('int64Value');
      expect(prediction.time).toBeDefined();
      expect(prediction.latency).toBeDefined();
      expect(prediction.inputTensors).toEqual([]);
    });
    const second = predictions.find((p) => p.requestId === 'req-2')!;
    expect(second.inputs.wind!.kind).toMatchObject({
      case: 'doubleValue',
      value: Math.fround(sampleRows[0]![2]),
    });
  });

  it('splits batches at the deployment’s max_batch_size and logs tensors when asked', async () => {
    const stack = await startStack();
    const model = await registerChampion(stack);
    await stack.serving.createDeployment({
      deployment: championDeployment('weather', model, {
        predictionLogging: { sampleRate: 1, maxBatchSize: 2, includeTensors: true },
      }),
    });
    await stack.inference.modelInfer({ ...contentsRequest('weather'), id: 'req-1' });
    const events = await waitFor(() => logged(stack, 'weather').length === 2 && logged(stack, 'weather'), {
      what: 'two prediction.logged events',
    });
    expect(events.map((e) => e.predictions.length)).toEqual([2, 1]);
    const row = events[1]!.predictions[0]!;
    expect(row.rowIndex).toBe(2);
    const wind = row.inputTensors.find((tensor) => tensor.name === 'wind')!;
    expect(wind).toMatchObject({ datatype: 'FP32', shape: [1n, 1n] });
    expect(Array.from(new Float32Array(new Uint8Array(wind.rawContents).buffer))).toEqual([
      Math.fround(sampleRows[2]![2]),
    ]);
    expect(row.outputTensors.map((tensor) => tensor.name)).toEqual(['probability', 'label']);
  });

  it('logs nothing at sample rate 0, and flushes what it holds when serving stops', async () => {
    const stack = await startStack({ env: { FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_DELAY: '1h' } });
    const model = await registerChampion(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('loud', model) });
    await stack.serving.createDeployment({
      deployment: championDeployment('silent', model, { predictionLogging: { sampleRate: 0 } }),
    });
    await stack.inference.modelInfer(contentsRequest('loud'));
    await stack.inference.modelInfer(contentsRequest('silent'));
    expect(logged(stack, 'loud')).toEqual([]);

    await stack.servingService.stop();
    expect(predictionsOf(stack, 'loud')).toHaveLength(3);
    expect(logged(stack, 'silent')).toEqual([]);
  });

  it('drops samples when its buffer is full and reports how many', async () => {
    const stack = await startStack({
      env: {
        FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_DELAY: '1h',
        FLYWHEEL_SERVING_PREDICTION_LOG_CAPACITY: '2',
        FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_SIZE: '2',
      },
    });
    const model = await registerChampion(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });

    const full = await stack.inference.modelInfer(contentsRequest('weather'));
    expect(full.outputs).toHaveLength(2);
    await stack.inference.modelInfer({ ...contentsRequest('weather', [sampleRows[1]!]), id: 'kept' });
    await stack.servingService.stop();

    const events = logged(stack, 'weather');
    expect(events).toHaveLength(1);
    expect(events[0]!.droppedCount).toBe(3n);
    expect(events[0]!.predictions.map((p) => p.requestId)).toEqual(['kept']);
  });
});
