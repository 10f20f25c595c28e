import {
  buildOnnxModel,
  encodeOnnxModel,
  exportLogisticRegressionOnnx,
  floatTensor,
  int64Tensor,
  seededRandom,
} from '@flywheel/ml';

/** The weather logistic regression: 3 FP32 [N,1] inputs, `probability` and `label` outputs. */
export const weatherFeatures = ['temp_max', 'temp_min', 'wind'] as const;

export function weatherModel(): Uint8Array {
  return exportLogisticRegressionOnnx({
    featureNames: [...weatherFeatures],
    means: [15, 7, 3.2],
    stds: [7, 5, 1.4],
    weights: [-0.8, 0.3, 0.9],
    bias: -0.2,
    l2: 0,
    iterations: 0,
    converged: true,
    loss: 0,
    objective: 0,
  });
}

/** Shape of a ReLU MLP: x [N, inputs] → hidden × layers → score [N, 1]. */
export interface MlpShape {
  inputs: number;
  hidden: number;
  layers: number;
  /**
   * Hidden layers after the first share one weight matrix (He-scaled), so a deep, compute-heavy
   * model stays small enough for the registry's 16 MiB upload limit.
   */
  shared?: boolean;
}

/** A deterministic ReLU MLP (seeded weights), batchable along dimension 0. */
export function mlpModel({ inputs, hidden, layers, shared = false }: MlpShape): Uint8Array {
  const random = seededRandom(11);
  const matrix = (rows: number, cols: number) =>
    Array.from({ length: rows * cols }, () =>
      shared ? (random() - 0.5) * Math.sqrt(24 / rows) : (random() - 0.5) / Math.sqrt(rows),
    );
  const nodes = [];
  const initializers = [];
  if (shared && layers > 1) initializers.push(floatTensor('wh', [hidden, hidden], matrix(hidden, hidden)));
  let last = 'x';
  for (let i = 0; i < layers; i++) {
    const rows = i === 0 ? inputs : hidden;
    const weight = shared && i > 0 ? 'wh' : `w${i}`;
    if (weight !== 'wh') initializers.push(floatTensor(weight, [rows, hidden], matrix(rows, hidden)));
    nodes.push({ opType: 'MatMul', inputs: [last, weight], outputs: [`a${i}`] });
    nodes.push({ opType: 'Relu', inputs: [`a${i}`], outputs: [`h${i}`] });
    last = `h${i}`;
  }
  initializers.push(floatTensor('wout', [hidden, 1], matrix(hidden, 1)));
  nodes.push({ opType: 'MatMul', inputs: [last, 'wout'], outputs: ['score'] });
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'mlp',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', inputs] }],
      outputs: [{ name: 'score', datatype: 'FP32', shape: ['N', 1] }],
      nodes,
      initializers,
    }),
  );
}

/**
 * A wide ReLU MLP whose weights are far larger than the artifact: each hidden layer's [hidden,
 * hidden] weight is a distinct [hidden / tile, hidden] block repeated `tile` times by a Tile node,
 * which onnxruntime constant-folds at load into a full-size matrix. The in-memory model then has
 * (`layers` − 1) × hidden² floats (e.g. 5 × 2048² × 4 B = 80 MiB, more than the last-level cache, as a
 * real wide MLP would), so a batch-1 run streams every weight from memory while a batch of 64
 * reuses each loaded weight 64 times, yet the artifact fits the registry's 16 MiB upload limit.
 */
export function tiledMlpModel({ inputs, hidden, layers, tile }: MlpShape & { tile: number }): Uint8Array {
  const random = seededRandom(11);
  const matrix = (rows: number, cols: number, fanIn: number) =>
    Array.from({ length: rows * cols }, () => (random() - 0.5) * Math.sqrt(24 / fanIn));
  const nodes = [];
  const initializers = [int64Tensor('repeats', [2], [tile, 1])];
  initializers.push(floatTensor('w0', [inputs, hidden], matrix(inputs, hidden, inputs)));
  nodes.push({ opType: 'MatMul', inputs: ['x', 'w0'], outputs: ['a0'] });
  nodes.push({ opType: 'Relu', inputs: ['a0'], outputs: ['h0'] });
  let last = 'h0';
  for (let i = 1; i < layers; i++) {
    initializers.push(floatTensor(`b${i}`, [hidden / tile, hidden], matrix(hidden / tile, hidden, hidden)));
    nodes.push({ opType: 'Tile', inputs: [`b${i}`, 'repeats'], outputs: [`w${i}`] });
    nodes.push({ opType: 'MatMul', inputs: [last, `w${i}`], outputs: [`a${i}`] });
    nodes.push({ opType: 'Relu', inputs: [`a${i}`], outputs: [`h${i}`] });
    last = `h${i}`;
  }
  initializers.push(floatTensor('wout', [hidden, 1], matrix(hidden, 1, hidden)));
  nodes.push({ opType: 'MatMul', inputs: [last, 'wout'], outputs: ['score'] });
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'tiled_mlp',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', inputs] }],
      outputs: [{ name: 'score', datatype: 'FP32', shape: ['N', 1] }],
      nodes,
      initializers,
    }),
  );
}
