import { AppError } from '@flywheel/core';
import { TensorProto_DataType } from '@flywheel/proto/onnx/onnx_pb.js';
import type { LogisticRegressionModel, LogisticRegressionStart } from './logistic-regression.ts';
import { buildOnnxModel, decodeOnnxModel, encodeOnnxModel, floatTensor, intAttribute } from './onnx-model.ts';

/** Name of the exported graph's probability output: float [N, 1], P(class 1). */
export const probabilityOutputName = 'probability';

/** Name of the exported graph's label output: int64 [N, 1], 1 when probability ≥ 0.5. */
export const labelOutputName = 'label';

export interface LogisticRegressionOnnxOptions {
  /** Graph name; default "logistic_regression". */
  graphName?: string;
  /** Recorded as the model's producer_version. */
  producerVersion?: string;
  /** The model's doc_string (shown by Netron). */
  docString?: string;
  /** Extra metadata_props (e.g. dataset or run ids), added to the trainer's own `flywheel.*` keys. */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * Exports a fitted logistic regression as an ONNX model (IR 8, opset 17) that computes the same
 * probabilities from the *raw* feature values, because the standardization is part of the graph:
 *
 * ```
 * <feature_1> float [N,1] ─┐
 *        …                 ├─ Concat(axis=1) ─▶ lr/features      [N,p]
 * <feature_p> float [N,1] ─┘
 * lr/features − lr/mean[p]           Sub     ─▶ lr/centered      [N,p]
 * lr/centered ÷ lr/std[p]            Div     ─▶ lr/standardized  [N,p]
 * lr/standardized · lr/weights[p,1]  MatMul  ─▶ lr/linear        [N,1]
 * lr/linear + lr/bias[1]             Add     ─▶ lr/logit         [N,1]
 * σ(lr/logit)                        Sigmoid ─▶ probability      [N,1] float   (output)
 * probability ≥ lr/threshold (0.5)   GreaterOrEqual ─▶ lr/is_positive [N,1] bool
 * lr/is_positive as int64            Cast(to=INT64) ─▶ label     [N,1] int64   (output)
 * ```
 *
 * Each feature is its own graph input, named by the feature, with the symbolic batch dimension "N",
 * so clients send named columns and serving can never apply a different scaling than training did.
 * Parameters are stored as float32. metadata_props carry `flywheel.trainer`, `flywheel.feature_names`
 * (JSON array), `flywheel.l2`, `flywheel.iterations` and `flywheel.training_log_loss`.
 *
 * @returns the .onnx file's bytes.
 * @throws AppError invalid_argument when a feature is named like an output or an internal `lr/` value.
 */
export function exportLogisticRegressionOnnx(
  model: LogisticRegressionModel,
  options: LogisticRegressionOnnxOptions = {},
): Uint8Array {
  const p = model.featureNames.length;
  model.featureNames.forEach((feature, j) => {
    if (feature === probabilityOutputName || feature === labelOutputName || feature.startsWith('lr/')) {
      throw AppError.invalidArgument(
        `featureNames[${j}]`,
        `"${feature}" is taken by the exported graph (outputs "${probabilityOutputName}", "${labelOutputName}" and the "lr/" values)`,
      );
    }
  });
  const onnx = buildOnnxModel({
    graphName: options.graphName ?? 'logistic_regression',
    ...(options.producerVersion === undefined ? {} : { producerVersion: options.producerVersion }),
    docString:
      options.docString ??
      `Binary logistic regression over ${p} standardized features; outputs P(class 1) and the 0/1 label.`,
    metadata: {
      ...options.metadata,
      'flywheel.trainer': 'logistic-regression',
      'flywheel.feature_names': JSON.stringify(model.featureNames),
      'flywheel.l2': String(model.l2),
      'flywheel.iterations': String(model.iterations),
      'flywheel.training_log_loss': String(model.loss),
    },
    inputs: model.featureNames.map((feature) => ({
      name: feature,
      datatype: 'FP32' as const,
      shape: ['N', 1],
      docString: `Raw value of feature "${feature}", one row per example.`,
    })),
    outputs: [
      {
        name: probabilityOutputName,
        datatype: 'FP32',
        shape: ['N', 1],
        docString: 'Probability of class 1.',
      },
      {
        name: labelOutputName,
        datatype: 'INT64',
        shape: ['N', 1],
        docString: 'Predicted class: 1 when probability ≥ 0.5, else 0.',
      },
    ],
    initializers: [
      floatTensor('lr/mean', [p], model.means),
      floatTensor('lr/std', [p], model.stds),
      floatTensor('lr/weights', [p, 1], model.weights),
      floatTensor('lr/bias', [1], [model.bias]),
      floatTensor('lr/threshold', [1], [0.5]),
    ],
    nodes: [
      {
        opType: 'Concat',
        name: 'concat_features',
        inputs: model.featureNames,
        outputs: ['lr/features'],
        attributes: [intAttribute('axis', 1)],
        docString: 'One column per feature, in training order.',
      },
      {
        opType: 'Sub',
        name: 'subtract_mean',
        inputs: ['lr/features', 'lr/mean'],
        outputs: ['lr/centered'],
        docString: 'Standardization, part 1: subtract the training mean.',
      },
      {
        opType: 'Div',
        name: 'divide_std',
        inputs: ['lr/centered', 'lr/std'],
        outputs: ['lr/standardized'],
        docString: 'Standardization, part 2: divide by the training standard deviation.',
      },
      {
        opType: 'MatMul',
        name: 'weigh',
        inputs: ['lr/standardized', 'lr/weights'],
        outputs: ['lr/linear'],
      },
      { opType: 'Add', name: 'add_bias', inputs: ['lr/linear', 'lr/bias'], outputs: ['lr/logit'] },
      { opType: 'Sigmoid', name: 'sigmoid', inputs: ['lr/logit'], outputs: [probabilityOutputName] },
      {
        opType: 'GreaterOrEqual',
        name: 'threshold',
        inputs: [probabilityOutputName, 'lr/threshold'],
        outputs: ['lr/is_positive'],
      },
      {
        opType: 'Cast',
        name: 'to_label',
        inputs: ['lr/is_positive'],
        outputs: [labelOutputName],
        attributes: [intAttribute('to', TensorProto_DataType.INT64)],
      },
    ],
  });
  return encodeOnnxModel(onnx);
}

/**
 * The coefficients of a model {@link exportLogisticRegressionOnnx} wrote (its `lr/` initializers
 * and `flywheel.feature_names`), as float32 values widened: a warm start's starting point.
 *
 * @throws AppError invalid_argument when the bytes are not ONNX; failed_precondition (not
 *   retriable) when the model is not Flywheel's logistic regression (another trainer's graph).
 */
export function readLogisticRegressionOnnx(bytes: Uint8Array): LogisticRegressionStart {
  const model = decodeOnnxModel(bytes);
  const metadata = new Map(model.metadataProps.map((entry) => [entry.key, entry.value]));
  const notOurs = (why: string) =>
    new AppError(
      'failed_precondition',
      `the model is not Flywheel's built-in logistic regression (${why}); a warm start reads that trainer's coefficients`,
      { retriable: false },
    );
  if (metadata.get('flywheel.trainer') !== 'logistic-regression') {
    throw notOurs(`its flywheel.trainer is "${metadata.get('flywheel.trainer') ?? ''}"`);
  }
  let featureNames: unknown;
  try {
    featureNames = JSON.parse(metadata.get('flywheel.feature_names') ?? '');
  } catch {
    featureNames = undefined;
  }
  if (!Array.isArray(featureNames) || !featureNames.every((name) => typeof name === 'string')) {
    throw notOurs('no flywheel.feature_names list');
  }
  const values = (name: string, count: number): number[] => {
    const tensor = model.graph?.initializer.find((t) => t.name === name);
    if (!tensor || tensor.floatData.length !== count) throw notOurs(`no ${count} float values in ${name}`);
    return [...tensor.floatData];
  };
  const p = featureNames.length;
  return {
    featureNames,
    means: values('lr/mean', p),
    stds: values('lr/std', p),
    weights: values('lr/weights', p),
    bias: values('lr/bias', 1)[0] ?? 0,
  };
}
