import { type AppError, isAppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { predictLogisticRegression, trainLogisticRegression } from './logistic-regression.ts';
import { exportLogisticRegressionOnnx } from './logistic-regression-onnx.ts';
import { buildOnnxModel, encodeOnnxModel, type OnnxNodeSpec } from './onnx-model.ts';
import { createOnnxScorer } from './onnx-scorer.ts';
import { syntheticBinaryData } from './synthetic-data.ts';

const data = syntheticBinaryData({ rows: 1000, seed: 11 });
const model = trainLogisticRegression(data);
const bytes = exportLogisticRegressionOnnx(model);

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** A one-input model, FP32 [N, 1] in and out, around a single node. */
function oneNodeModel(node: OnnxNodeSpec): Uint8Array {
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'bad',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 1] }],
      outputs: [{ name: 'probability', datatype: 'FP32', shape: ['N', 1] }],
      nodes: [node],
    }),
  );
}

describe('createOnnxScorer', () => {
  it('scores named rows in batches with the probabilities the model gives', async () => {
    const scorer = await createOnnxScorer(bytes, { batchSize: 300 });
    try {
      expect(scorer.featureNames).toEqual(['age', 'income', 'ratio', 'noise']);
      expect(scorer.outputName).toBe('probability');
      const scores = await scorer.score(data.rows);
      const expected = predictLogisticRegression(model, data.features);
      expect(scores).toHaveLength(expected.length);
      expected.forEach((p, i) => {
        expect(Math.abs(scores[i]! - p)).toBeLessThan(1e-5);
      });
      expect(await scorer.score([])).toEqual([]);
    } finally {
      await scorer.close();
    }
  });

  it('names the row and feature at fault', async () => {
    const scorer = await createOnnxScorer(bytes);
    try {
      const { income: _, ...withoutIncome } = data.rows[1]!;
      const missing = await rejection(scorer.score([data.rows[0]!, withoutIncome]));
      expect(missing.code).toBe('invalid_argument');
      expect(missing.field).toBe('rows[1].income');
      const infinite = await rejection(scorer.score([{ ...data.rows[0]!, age: Number.POSITIVE_INFINITY }]));
      expect(infinite.field).toBe('rows[0].age');
    } finally {
      await scorer.close();
    }
  });

  it('stops on an aborted signal and refuses work after close', async () => {
    const scorer = await createOnnxScorer(bytes);
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(scorer.score(data.rows, { signal: controller.signal }))).code).toBe('cancelled');
    await scorer.close();
    await scorer.close();
    expect((await rejection(scorer.score(data.rows))).code).toBe('failed_precondition');
  });

  it('maps onnxruntime rejecting a model whose input has the wrong type to invalid_argument', async () => {
    // Not takes booleans; the graph feeds it the float input.
    const error = await rejection(
      createOnnxScorer(oneNodeModel({ opType: 'Not', inputs: ['x'], outputs: ['probability'] })),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.field).toBe('model');
    expect(error.message).toMatch(
      /^model: onnxruntime rejected the model: .*Type Error.*tensor\(float\).*Not/s,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('maps an unknown operator to invalid_argument with onnxruntime’s reason', async () => {
    const error = await rejection(
      createOnnxScorer(oneNodeModel({ opType: 'NoSuchOp', inputs: ['x'], outputs: ['probability'] })),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/NoSuchOp/);
  });

  it('rejects bytes that are not ONNX and models it cannot feed', async () => {
    const garbage = await rejection(createOnnxScorer(new TextEncoder().encode('{"not": "onnx"}')));
    expect(garbage.code).toBe('invalid_argument');
    expect(garbage.field).toBe('model');
    const matrixInput = encodeOnnxModel(
      buildOnnxModel({
        graphName: 'matrix',
        inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 3] }],
        outputs: [{ name: 'probability', datatype: 'FP32', shape: ['N', 3] }],
        nodes: [{ opType: 'Sigmoid', inputs: ['x'], outputs: ['probability'] }],
      }),
    );
    const unfeedable = await rejection(createOnnxScorer(matrixInput));
    expect(unfeedable.message).toMatch(/input "x" is FP32 \[-1, 3\]/);
    const noSuchOutput = await rejection(createOnnxScorer(bytes, { outputName: 'score' }));
    expect(noSuchOutput.message).toMatch(/no output "score"/);
    const labelOutput = await rejection(createOnnxScorer(bytes, { outputName: 'label' }));
    expect(labelOutput.message).toMatch(/INT64/);
  });
});
