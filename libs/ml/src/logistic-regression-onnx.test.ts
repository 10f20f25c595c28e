import { isAppError } from '@flywheel/core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictLogisticRegression, trainLogisticRegression } from './logistic-regression.ts';
import { exportLogisticRegressionOnnx, readLogisticRegressionOnnx } from './logistic-regression-onnx.ts';
import { decodeOnnxModel, readOnnxSignature } from './onnx-model.ts';
import { syntheticBinaryData } from './synthetic-data.ts';
import { tinyOnnxModel } from './tiny-onnx-model.ts';

const data = syntheticBinaryData({ rows: 2000, seed: 3 });
const model = trainLogisticRegression(data);
const bytes = exportLogisticRegressionOnnx(model, { metadata: { 'flywheel.run_id': 'run-1' } });

/** Feeds raw feature columns, one [N, 1] float tensor per feature, as a client would. */
function feedsOf(rows: readonly (readonly number[])[]): Record<string, Tensor> {
  return Object.fromEntries(
    data.featureNames.map((name, j) => [
      name,
      new Tensor(
        'float32',
        Float32Array.from(rows, (row) => row[j]!),
        [rows.length, 1],
      ),
    ]),
  );
}

describe('exportLogisticRegressionOnnx', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(bytes);
  });
  afterAll(async () => {
    await session.release();
  });

  it('loads in onnxruntime and gives the probabilities the TypeScript model gives (1e-5)', async () => {
    const result = await session.run(feedsOf(data.features));
    const onnxProbabilities = result.probability!.data as Float32Array;
    expect(result.probability!.dims).toEqual([data.features.length, 1]);
    const expected = predictLogisticRegression(model, data.features);
    let maxDifference = 0;
    expected.forEach((p, i) => {
      maxDifference = Math.max(maxDifference, Math.abs(p - onnxProbabilities[i]!));
    });
    expect(maxDifference).toBeLessThan(1e-5);
    const labels = Array.from(result.label!.data as BigInt64Array);
    expect(result.label!.type).toBe('int64');
    expect(labels).toEqual(Array.from(onnxProbabilities, (p) => (p >= 0.5 ? 1n : 0n)));
  });

  it('standardizes inside the graph: raw values in, the hand-computed probability out', async () => {
    // Raw units: age in years, income in dollars, ratio as a fraction.
    const raw = [[50, 62_000, 0.021, 100]];
    const result = await session.run(feedsOf(raw));
    let logit = model.bias;
    raw[0]!.forEach((value, j) => {
      logit += (model.weights[j]! * (value - model.means[j]!)) / model.stds[j]!;
    });
    const byHand = 1 / (1 + Math.exp(-logit));
    expect(byHand).toBeGreaterThan(0.6);
    expect(byHand).toBeLessThan(0.95);
    expect((result.probability!.data as Float32Array)[0]).toBeCloseTo(byHand, 5);
    // Pre-standardized values would be scaled twice and give a different answer.
    const prestandardized = [raw[0]!.map((value, j) => (value - model.means[j]!) / model.stds[j]!)];
    const twice = await session.run(feedsOf(prestandardized));
    expect(Math.abs((twice.probability!.data as Float32Array)[0]! - byHand)).toBeGreaterThan(0.1);
  });

  it('lays the graph out as Concat → Sub mean → Div std → MatMul → Add → Sigmoid (→ label)', () => {
    const graph = decodeOnnxModel(bytes).graph!;
    expect(graph.node.map((node) => node.opType)).toEqual([
      'Concat',
      'Sub',
      'Div',
      'MatMul',
      'Add',
      'Sigmoid',
      'GreaterOrEqual',
      'Cast',
    ]);
    expect(graph.node[0]!.input).toEqual(['age', 'income', 'ratio', 'noise']);
    const initializer = (name: string) => graph.initializer.find((tensor) => tensor.name === name)!;
    expect(initializer('lr/mean').floatData).toEqual(model.means.map(Math.fround));
    expect(initializer('lr/std').floatData).toEqual(model.stds.map(Math.fround));
    expect(initializer('lr/weights').dims).toEqual([4n, 1n]);
  });

  it('has the signature serving reads: one FP32 [-1, 1] input per feature, probability and label out', () => {
    const signature = readOnnxSignature(bytes);
    expect(signature.inputs).toEqual(
      ['age', 'income', 'ratio', 'noise'].map((name) => ({ name, datatype: 'FP32', shape: [-1, 1] })),
    );
    expect(signature.outputs).toEqual([
      { name: 'probability', datatype: 'FP32', shape: [-1, 1] },
      { name: 'label', datatype: 'INT64', shape: [-1, 1] },
    ]);
    expect(signature.irVersion).toBe(8);
    expect(signature.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(signature.metadata['flywheel.trainer']).toBe('logistic-regression');
    expect(JSON.parse(signature.metadata['flywheel.feature_names']!)).toEqual(data.featureNames);
    expect(signature.metadata['flywheel.run_id']).toBe('run-1');
  });

  it('exposes the metadata to onnxruntime users too', async () => {
    expect(session.inputNames).toEqual(data.featureNames);
    expect(session.outputNames).toEqual(['probability', 'label']);
  });

  it('refuses a feature named like an output', () => {
    const clash = { ...model, featureNames: ['probability', 'income', 'ratio', 'noise'] };
    try {
      exportLogisticRegressionOnnx(clash);
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error, 'invalid_argument') && error.field).toBe('featureNames[0]');
    }
  });
});

describe('readLogisticRegressionOnnx', () => {
  it('reads back the exported coefficients (as float32) and refuses other graphs', () => {
    const start = readLogisticRegressionOnnx(bytes);
    expect(start.featureNames).toEqual(model.featureNames);
    expect(start.weights).toEqual(model.weights.map(Math.fround));
    expect(start.means).toEqual(model.means.map(Math.fround));
    expect(start.stds).toEqual(model.stds.map(Math.fround));
    expect(start.bias).toBe(Math.fround(model.bias));
    expect(() => readLogisticRegressionOnnx(tinyOnnxModel())).toThrow(
      /not Flywheel's built-in logistic regression/,
    );
  });
});
