import { buildOnnxModel, encodeOnnxModel, floatTensor, seededRandom } from '@flywheel/ml';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { TensorValue } from '../src/runtime/model-runner.ts';
import type { Stack } from './serving-harness.ts';

/**
 * Test models built with @flywheel/ml: a slow one (a chain of square MatMuls, cost chosen per
 * request by its rows) and a small batch-friendly MLP.
 */

/** x FP32 [N, width] → y FP32 [N, width]: `depth` MatMuls by the same width×width matrix (scaled to stay finite). */
export function slowModel(width = 512, depth = 24): Uint8Array {
  const weights = new Float32Array(width * width);
  for (let i = 0; i < width; i++) weights[i * width + i] = 1;
  const nodes = Array.from({ length: depth }, (_, i) => ({
    opType: 'MatMul',
    inputs: [i === 0 ? 'x' : `h${i}`, 'w'],
    outputs: [i === depth - 1 ? 'y' : `h${i + 1}`],
  }));
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'slow',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', width] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', width] }],
      nodes,
      initializers: [floatTensor('w', [width, width], weights)],
    }),
  );
}

/** x FP32 [N, inputs] → score FP32 [N, 1]: Dense(hidden) → ReLU → Dense(hidden) → ReLU → Dense(1), seeded weights. */
export function mlpModel(inputs = 32, hidden = 128, seed = 7): Uint8Array {
  const random = seededRandom(seed);
  const matrix = (rows: number, cols: number) =>
    Array.from({ length: rows * cols }, () => (random() - 0.5) / Math.sqrt(rows));
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'mlp',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', inputs] }],
      outputs: [{ name: 'score', datatype: 'FP32', shape: ['N', 1] }],
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w1'], outputs: ['a1'] },
        { opType: 'Relu', inputs: ['a1'], outputs: ['h1'] },
        { opType: 'MatMul', inputs: ['h1', 'w2'], outputs: ['a2'] },
        { opType: 'Relu', inputs: ['a2'], outputs: ['h2'] },
        { opType: 'MatMul', inputs: ['h2', 'w3'], outputs: ['score'] },
      ],
      initializers: [
        floatTensor('w1', [inputs, hidden], matrix(inputs, hidden)),
        floatTensor('w2', [hidden, hidden], matrix(hidden, hidden)),
        floatTensor('w3', [hidden, 1], matrix(hidden, 1)),
      ],
    }),
  );
}

/** An FP32 [rows, width] tensor whose row r holds r + offset in every column. */
export function rowsTensor(rows: number, width: number, offset = 0): TensorValue {
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) data.fill(r + offset, r * width, (r + 1) * width);
  return { datatype: 'FP32', shape: [rows, width], data };
}

/** Registers ONNX bytes as the next version of `name`. */
export async function registerOnnx(stack: Stack, name: string, bytes: Uint8Array): Promise<bigint> {
  const { version } = await stack.registry.registerVersion({
    requestId: crypto.randomUUID(),
    modelName: name,
    artifactSource: { case: 'artifactBytes', value: bytes },
    format: ArtifactFormat.ONNX,
  });
  return version!.version;
}
