export type { FeatureRow } from './feature-matrix.ts';
export { toFeatureMatrix } from './feature-matrix.ts';
export type {
  LogisticRegressionData,
  LogisticRegressionFit,
  LogisticRegressionModel,
  LogisticRegressionOptions,
  LogisticRegressionStart,
} from './logistic-regression.ts';
export { predictLogisticRegression, trainLogisticRegression } from './logistic-regression.ts';
export type { LogisticRegressionOnnxOptions } from './logistic-regression-onnx.ts';
export {
  exportLogisticRegressionOnnx,
  labelOutputName,
  probabilityOutputName,
  readLogisticRegressionOnnx,
} from './logistic-regression-onnx.ts';
export type { BinaryClassificationMetrics } from './metrics.ts';
export { accuracy, binaryClassificationMetrics, brierScore, logLoss, rocAuc } from './metrics.ts';
export { whyNotATensor } from './non-tensor-values.ts';
export { checkOnnxArtifact } from './onnx-artifact-check.ts';
export type {
  OipDatatype,
  OnnxModelSpec,
  OnnxNodeSpec,
  OnnxOpsetImport,
  OnnxSignature,
  OnnxTensorInfo,
  OnnxValueSpec,
} from './onnx-model.ts';
export {
  buildOnnxModel,
  decodeOnnxModel,
  defaultOnnxIrVersion,
  defaultOnnxOpsetVersion,
  encodeOnnxModel,
  floatAttribute,
  floatsAttribute,
  floatTensor,
  int64Tensor,
  intAttribute,
  intsAttribute,
  oipDatatypeOf,
  onnxElemTypeOf,
  readOnnxSignature,
  stringAttribute,
  tensorAttribute,
} from './onnx-model.ts';
export type { OnnxScorer, OnnxScorerOptions } from './onnx-scorer.ts';
export { createOnnxScorer } from './onnx-scorer.ts';
export { seededRandom } from './seeded-random.ts';
export type { ShuffleSplitOptions, Split, TimeOrderedHoldoutOptions } from './split.ts';
export { shuffleSplit, timeOrderedHoldout } from './split.ts';
export type { SyntheticBinaryData, SyntheticBinaryDataOptions } from './synthetic-data.ts';
export { syntheticBinaryData } from './synthetic-data.ts';
export type { TinyOnnxModelOptions, TinyTensor } from './tiny-onnx-model.ts';
export { tinyOnnxModel } from './tiny-onnx-model.ts';
