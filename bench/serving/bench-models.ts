import { buildOnnxModel, encodeOnnxModel, exportLogisticRegressionOnnx, floatTensor, seededRandom } from '@flywheel/ml';

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
}

/** A deterministic ReLU MLP (seeded weights), batchable along dimension 0. */
export function mlpModel({ inputs, hidden, layers }: MlpShape): Uint8Array {
  const random = seededRandom(11);
  const matrix = (rows: number, cols: number) =>
    Array.from({ length: rows * cols }, () => (random() - 0.5) / Math.sqrt(rows));
  const nodes = [];
  const initializers = [];
  let last = 'x';
  for (let i = 0; i < layers; i++) {
    const rows = i === 0 ? inputs : hidden;
    initializers.push(floatTensor(`w${i}`, [rows, hidden], matrix(rows, hidden)));
    nodes.push({ opType: 'MatMul', inputs: [last, `w${i}`], outputs: [`a${i}`] });
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
