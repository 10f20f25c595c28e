import { silentLogger } from '@flywheel/core';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { describe, expect, it } from 'vitest';
import { createServedModels } from '../src/deployments/served-models.ts';
import { createLiveModel } from '../src/runtime/live-model.ts';
import type { TensorValue } from '../src/runtime/model-runner.ts';
import { loadOnnxModel } from '../src/runtime/onnx-runner.ts';
import { features, v1Model, v2Model } from './serving-harness.ts';

const settings = {
  modelName: 'weather',
  team: 'default',
  sampleRate: 1,
  logBatchSize: 0,
  logBatchDelayMs: 0,
  logTensors: false,
  maxInFlight: 2,
};

const oneRow = new Map<string, TensorValue>(
  features.map((name) => [name, { datatype: 'FP32', shape: [1, 1], data: Float32Array.of(1) }]),
);

async function live(model: typeof v1Model, version: number) {
  const runner = await loadOnnxModel(exportLogisticRegressionOnnx(model), {
    intraOpThreads: 0,
    interOpThreads: 0,
  });
  return createLiveModel({
    version,
    artifactSha256: '0'.repeat(64),
    runner,
    deploymentName: 'weather',
    log: silentLogger,
  });
}

describe('swapping the live version', () => {
  it('keeps the replaced onnxruntime session open until the requests holding it finish', async () => {
    const served = createServedModels();
    served.upsert('weather', settings);
    const v1 = await live(v1Model, 1);
    served.activate('weather', v1);

    const inFlight = served.acquire('weather', '');
    expect(inFlight.model.version).toBe(1);
    const v2 = await live(v2Model, 2);
    served.activate('weather', v2);

    const next = served.acquire('weather', '');
    expect(next.model.version).toBe(2);
    next.release();
    // The request that took version 1 before the swap still runs on it.
    const outputs = await inFlight.model.runner.run(oneRow, ['probability']);
    expect(outputs.get('probability')!.shape).toEqual([1, 1]);
    expect(() => v1.acquire(2)).toThrow(/unloaded/);

    inFlight.release();
    await v1.retire();
    await expect(v1.runner.run(oneRow, ['probability'])).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    await served.close();
  });

  it('fails fast with RESOURCE_EXHAUSTED beyond the in-flight limit', async () => {
    const served = createServedModels();
    served.upsert('weather', settings);
    served.activate('weather', await live(v1Model, 1));
    const held = [served.acquire('weather', ''), served.acquire('weather', '')];
    expect(() => served.acquire('weather', '')).toThrow(
      expect.objectContaining({ code: 'resource_exhausted' }),
    );
    held[0]!.release();
    held[0]!.release();
    served.acquire('weather', '1').release();
    held[1]!.release();
    await served.close();
  });
});
