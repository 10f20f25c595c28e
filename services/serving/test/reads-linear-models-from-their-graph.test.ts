import {
  buildOnnxModel,
  encodeOnnxModel,
  exportLogisticRegressionOnnx,
  floatAttribute,
  floatTensor,
  intAttribute,
} from '@flywheel/ml';
import { describe, expect, it } from 'vitest';
import { linearFormOf } from '../src/runtime/linear-form.ts';
import type { ModelSignature } from '../src/runtime/model-runner.ts';
import { slowModel } from './runtime-models.ts';
import { v1Model } from './serving-harness.ts';

const weatherSignature: ModelSignature = {
  inputs: v1Model.featureNames.map((name) => ({ name, datatype: 'FP32', shape: ['N', 1] })),
  outputs: [
    { name: 'probability', datatype: 'FP32', shape: ['N', 1] },
    { name: 'label', datatype: 'INT64', shape: ['N', 1] },
  ],
};

describe('linearFormOf', () => {
  it('gives up on a graph too big to fold instead of blocking the loading thread', () => {
    // 128 MatMuls of 512 × 512 are linear, but folding them is ~1.7e10 multiply-adds.
    const signature: ModelSignature = {
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 512] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 512] }],
    };
    // The graph is linear (identity weights), so only the folding budget makes this undefined.
    expect(linearFormOf(slowModel(512, 128), signature)).toBeUndefined();
  });

  it("reads the platform's logistic regression as σ(w/std · x + b − Σ mean·w/std), with its training means", () => {
    const form = linearFormOf(exportLogisticRegressionOnnx(v1Model), weatherSignature)!;
    expect(form.featureCount).toBe(3);
    expect([...form.outputs.keys()]).toEqual(['probability']);
    const probability = form.outputs.get('probability')!;
    expect(probability.link).toBe('logistic');
    const f32 = Math.fround;
    const coefficients = v1Model.weights.map((w, i) => f32(w) / f32(v1Model.stds[i]!));
    const intercept =
      f32(v1Model.bias) -
      v1Model.means.reduce(
        (sum, m, i) => sum + (f32(m) / f32(v1Model.stds[i]!)) * f32(v1Model.weights[i]!),
        0,
      );
    for (const [i, c] of [...probability.coefficients[0]!].entries())
      expect(c).toBeCloseTo(coefficients[i]!, 14);
    expect(probability.intercepts[0]).toBeCloseTo(intercept, 14);
    expect([...form.trainingMeans!]).toEqual(v1Model.means.map(f32));
  });

  it('reads Gemm (transB, alpha, beta) and an identity output over one [N, 2] input', () => {
    const bytes = encodeOnnxModel(
      buildOnnxModel({
        graphName: 'gemm',
        inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 2] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 1] }],
        initializers: [floatTensor('B', [1, 2], [3, -4]), floatTensor('C', [1], [0.5])],
        nodes: [
          {
            opType: 'Gemm',
            inputs: ['x', 'B', 'C'],
            outputs: ['y'],
            attributes: [intAttribute('transB', 1), floatAttribute('alpha', 2), floatAttribute('beta', 4)],
          },
        ],
      }),
    );
    const form = linearFormOf(bytes, {
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 1] }],
    })!;
    const y = form.outputs.get('y')!;
    expect(y.link).toBe('identity');
    expect([...y.coefficients[0]!]).toEqual([6, -8]);
    expect([...y.intercepts]).toEqual([2]);
    expect(form.trainingMeans).toBeUndefined();
  });

  it('finds no linear form in a graph with a product of inputs, or in bytes that are not ONNX', () => {
    const bytes = encodeOnnxModel(
      buildOnnxModel({
        graphName: 'square',
        inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 1] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 1] }],
        nodes: [{ opType: 'Mul', inputs: ['x', 'x'], outputs: ['y'] }],
      }),
    );
    const signature: ModelSignature = {
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 1] }],
    };
    expect(linearFormOf(bytes, signature)).toBeUndefined();
    expect(linearFormOf(new Uint8Array([1, 2, 3, 4]), signature)).toBeUndefined();
  });
});
