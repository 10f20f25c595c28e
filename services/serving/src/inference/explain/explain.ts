import { randomBytes } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import {
  ExplainMethod,
  type ExplainRequest,
  type ExplainResponseSchema,
  ExplanationSpace,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { ModelInferRequest } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ServedModels } from '../../deployments/served-models.ts';
import type { LinearOutput } from '../../runtime/linear-form.ts';
import type { ModelRunner, ModelSignature, TensorValue } from '../../runtime/model-runner.ts';
import { decodeInferInputs } from '../infer-inputs.ts';
import {
  coalitionInputs,
  type FeatureLayout,
  featureLayoutOf,
  featureRows,
  inputsOfRow,
} from './feature-layout.ts';
import { coalitionBudget, planCoalitions, seededUniform, solveContributions } from './kernel-shap.ts';

/**
 * Explains one model output per row (ServingService.Explain): exact linear contributions or Kernel
 * SHAP through the live (or named) version's own runner, one model run per explained row for all
 * of its coalitions × background rows.
 *
 * @throws AppError invalid_argument naming the field at fault (rows.*, background.*, output,
 *   output_index, method, nsamples, seed); failed_precondition (field "method") for LINEAR_EXACT on
 *   an output that is not linear; unimplemented naming an input Explain cannot mix; not_found /
 *   unavailable / resource_exhausted as ModelInfer.
 */
export type Explain = (
  request: ExplainRequest,
  options: { signal: AbortSignal },
) => Promise<MessageInitShape<typeof ExplainResponseSchema>>;

export interface ExplainDeps {
  served: ServedModels;
  /** Most model rows one Explain may run (rows × coalitions × background rows, plus theirs). */
  maxModelRows: number;
}

/** shap's test for a feature that does not vary (np.allclose against every background value). */
const sameValue = (x: number, b: number): boolean => Math.abs(x - b) <= 1e-8 + 1e-5 * Math.abs(b);

export function createExplain(deps: ExplainDeps): Explain {
  return async (request, { signal }) => {
    const rowsRequest = request.rows;
    if (!rowsRequest)
      throw AppError.invalidArgument('rows', 'is required: the rows to explain, as ModelInfer inputs');
    if (rowsRequest.modelName === '') throw AppError.invalidArgument('rows.model_name', 'is required');
    refuseUnused(rowsRequest, 'rows', false);
    if (!(request.method in ExplainMethod)) {
      throw AppError.invalidArgument('method', `${request.method} is not an ExplainMethod`);
    }
    const lease = deps.served.acquire(rowsRequest.modelName, rowsRequest.modelVersion);
    try {
      const runner = lease.model.runner;
      const signature = runner.signature;
      const layout = featureLayoutOf(signature);
      const allowNonFinite = deps.served.get(rowsRequest.modelName)?.settings.allowNonFinite ?? false;
      const rows = decodePrefixed(rowsRequest, signature, allowNonFinite, 'rows');
      const output = outputOf(signature, request.output);
      const linear = runner.linearForm?.outputs.get(output);
      const method = chooseMethod(request.method, linear, output);
      if (method === ExplainMethod.LINEAR_EXACT) {
        if (request.nsamples !== 0) throw AppError.invalidArgument('nsamples', 'is only for KERNEL_SHAP');
        if (request.seed !== 0n) throw AppError.invalidArgument('seed', 'is only for KERNEL_SHAP');
      }
      const background = backgroundOf(request.background, signature, layout, runner, allowNonFinite);
      const common = {
        modelName: rowsRequest.modelName,
        modelVersion: String(lease.model.version),
        method,
        output,
        outputIndex: request.outputIndex,
        featureNames: [...layout.names],
        backgroundRows: background.rows,
      };
      if (method === ExplainMethod.LINEAR_EXACT) {
        return { ...common, ...explainLinear(linear!, request.outputIndex, layout, rows, background) };
      }
      return {
        ...common,
        ...(await explainKernel(
          runner,
          layout,
          output,
          request,
          rows,
          background,
          deps.maxModelRows,
          signal,
        )),
      };
    } finally {
      lease.release();
    }
  };
}

interface Decoded {
  readonly inputs: Map<string, TensorValue>;
  readonly rows: number;
}

function chooseMethod(asked: ExplainMethod, linear: LinearOutput | undefined, output: string): ExplainMethod {
  if (asked === ExplainMethod.UNSPECIFIED)
    return linear ? ExplainMethod.LINEAR_EXACT : ExplainMethod.KERNEL_SHAP;
  if (asked === ExplainMethod.LINEAR_EXACT && !linear) {
    throw new AppError(
      'failed_precondition',
      `method: LINEAR_EXACT needs output "${output}" to be linear (or the Sigmoid of linear) in the inputs, and this model's graph is not; use KERNEL_SHAP`,
      { field: 'method' },
    );
  }
  return asked;
}

/** The explained output: the one named, else the first FP32/FP64 output. */
function outputOf(signature: ModelSignature, asked: string): string {
  if (asked !== '') {
    const spec = signature.outputs.find((o) => o.name === asked);
    if (!spec) {
      throw AppError.invalidArgument(
        'output',
        `the model has no output "${asked}"; it has ${signature.outputs.map((o) => `"${o.name}"`).join(', ')}`,
      );
    }
    if (spec.datatype === 'BYTES' || spec.datatype === 'FP16') {
      throw new AppError('unimplemented', `output: Explain does not explain ${spec.datatype} outputs`, {
        field: 'output',
      });
    }
    return asked;
  }
  const first = signature.outputs.find((o) => o.datatype === 'FP32' || o.datatype === 'FP64');
  if (!first)
    throw AppError.invalidArgument('output', 'is required: the model has no FP32/FP64 output to default to');
  return first.name;
}

/** ModelInfer fields Explain has no use for are refused, never ignored. */
function refuseUnused(request: ModelInferRequest, field: string, background: boolean): void {
  if (background && request.modelName !== '') {
    throw AppError.invalidArgument(
      `${field}.model_name`,
      'must be empty: the background is of the model in rows',
    );
  }
  if (background && request.modelVersion !== '') {
    throw AppError.invalidArgument(
      `${field}.model_version`,
      'must be empty: the background is of the model in rows',
    );
  }
  if (request.id !== '')
    throw AppError.invalidArgument(`${field}.id`, 'is not used by Explain; leave it empty');
  if (request.outputs.length > 0) {
    throw AppError.invalidArgument(
      `${field}.outputs`,
      'is not used by Explain; name the explained output in "output"',
    );
  }
  const parameter = Object.keys(request.parameters)[0];
  if (parameter !== undefined) {
    throw AppError.invalidArgument(`${field}.parameters.${parameter}`, 'is not used by Explain');
  }
}

function decodePrefixed(
  request: ModelInferRequest,
  signature: ModelSignature,
  allowNonFinite: boolean,
  prefix: string,
): Decoded {
  try {
    return decodeInferInputs(request, signature, { allowNonFinite });
  } catch (error) {
    const appError = AppError.from(error);
    if (appError.code !== 'invalid_argument') throw appError;
    const field = `${prefix}.${appError.field ?? 'inputs'}`;
    throw new AppError('invalid_argument', `${prefix}.${appError.message}`, { field, cause: error });
  }
}

/** The background given, else the training means the graph stores, as one row. */
function backgroundOf(
  given: ModelInferRequest | undefined,
  signature: ModelSignature,
  layout: FeatureLayout,
  runner: ModelRunner,
  allowNonFinite: boolean,
): Decoded {
  if (given) {
    refuseUnused(given, 'background', true);
    const decoded = decodePrefixed(given, signature, allowNonFinite, 'background');
    if (decoded.rows < 1) throw AppError.invalidArgument('background.inputs', 'must hold at least one row');
    return decoded;
  }
  const means = runner.linearForm?.trainingMeans;
  if (!means) {
    throw AppError.invalidArgument(
      'background',
      'is required: this model stores no training means to default to (its graph has no standardizing Sub)',
    );
  }
  return { inputs: inputsOfRow(layout, means), rows: 1 };
}

/** shap.LinearExplainer (interventional): φ_i = w_i (x_i − E[x_i]), base = w · E[x] + b, in the margin. */
function explainLinear(
  linear: LinearOutput,
  outputIndex: number,
  layout: FeatureLayout,
  rows: Decoded,
  background: Decoded,
): { space: ExplanationSpace; baseValue: number; rows: { contributions: number[]; value: number }[] } {
  const coefficients = linear.coefficients[outputIndex];
  if (!coefficients) {
    throw AppError.invalidArgument(
      'output_index',
      `must be below ${linear.coefficients.length}, the output's values per row; got ${outputIndex}`,
    );
  }
  const intercept = linear.intercepts[outputIndex]!;
  const mean = new Float64Array(layout.names.length);
  const backgroundRows = featureRows(layout, background.inputs, background.rows);
  for (const row of backgroundRows) for (let f = 0; f < mean.length; f++) mean[f]! += row[f]!;
  for (let f = 0; f < mean.length; f++) mean[f]! /= backgroundRows.length;
  let baseValue = intercept;
  for (let f = 0; f < mean.length; f++) baseValue += coefficients[f]! * mean[f]!;
  return {
    space: ExplanationSpace.MARGIN,
    baseValue,
    rows: featureRows(layout, rows.inputs, rows.rows).map((x) => {
      const contributions = Array.from(x, (v, f) => coefficients[f]! * (v - mean[f]!));
      return { contributions, value: baseValue + contributions.reduce((sum, c) => sum + c, 0) };
    }),
  };
}

async function explainKernel(
  runner: ModelRunner,
  layout: FeatureLayout,
  output: string,
  request: ExplainRequest,
  rows: Decoded,
  background: Decoded,
  maxModelRows: number,
  signal: AbortSignal,
): Promise<{
  space: ExplanationSpace;
  baseValue: number;
  rows: { contributions: number[]; value: number }[];
  nsamples: number;
  exhaustive: boolean;
}> {
  const features = layout.names.length;
  const planned = rows.rows * coalitionBudget(features, request.nsamples) * background.rows;
  if (planned + rows.rows + background.rows > maxModelRows) {
    throw AppError.invalidArgument(
      'nsamples',
      `${rows.rows} rows × up to ${coalitionBudget(features, request.nsamples)} coalitions × ${background.rows} background rows is more than ${maxModelRows} model rows, the server's limit (FLYWHEEL_SERVING_EXPLAIN_MAX_MODEL_ROWS); explain fewer rows, summarize the background or lower nsamples`,
    );
  }
  const valuesOf = async (inputs: ReadonlyMap<string, TensorValue>, count: number): Promise<Float64Array> => {
    const outputs = await runner.run(inputs, [output], { signal });
    const data = outputs.get(output)!.data as ArrayLike<number | bigint>;
    const width = data.length / count;
    if (!(request.outputIndex < width)) {
      throw AppError.invalidArgument(
        'output_index',
        `must be below ${width}, output "${output}"'s values per row; got ${request.outputIndex}`,
      );
    }
    return Float64Array.from({ length: count }, (_, r) => Number(data[r * width + request.outputIndex]!));
  };
  const backgroundValues = await valuesOf(background.inputs, background.rows);
  const fNull = backgroundValues.reduce((sum, v) => sum + v, 0) / background.rows;
  const fx = await valuesOf(rows.inputs, rows.rows);
  const random = seededUniform(request.seed !== 0n ? request.seed : randomBytes(8).readBigUInt64LE());
  const explainedRows = featureRows(layout, rows.inputs, rows.rows);
  const backgroundRows = featureRows(layout, background.inputs, background.rows);
  let nsamples = 0;
  let exhaustive = true;
  const explained: { contributions: number[]; value: number }[] = [];
  for (let r = 0; r < rows.rows; r++) {
    const x = explainedRows[r]!;
    const varying = new Int32Array(features).fill(-1);
    const varyingFeatures: number[] = [];
    for (let f = 0; f < features; f++) {
      if (!backgroundRows.every((b) => sameValue(x[f]!, b[f]!))) {
        varying[f] = varyingFeatures.length;
        varyingFeatures.push(f);
      }
    }
    const phi = new Float64Array(features);
    const m = varyingFeatures.length;
    if (m === 1) phi[varyingFeatures[0]!] = fx[r]! - fNull;
    if (m >= 2) {
      const plan = planCoalitions(m, request.nsamples, random);
      nsamples = Math.max(nsamples, plan.masks.length);
      exhaustive &&= plan.exhaustive;
      const inputs = coalitionInputs(
        layout,
        rows.inputs,
        r,
        background.inputs,
        background.rows,
        plan.masks,
        varying,
      );
      const values = await valuesOf(inputs, plan.masks.length * background.rows);
      const expected = new Float64Array(plan.masks.length);
      for (let s = 0; s < plan.masks.length; s++) {
        let sum = 0;
        for (let b = 0; b < background.rows; b++) sum += values[s * background.rows + b]!;
        expected[s] = sum / background.rows;
      }
      const solved = solveContributions(plan, expected, fx[r]!, fNull);
      varyingFeatures.forEach((f, i) => {
        phi[f] = solved[i]!;
      });
    }
    explained.push({ contributions: Array.from(phi), value: fx[r]! });
  }
  return { space: ExplanationSpace.OUTPUT, baseValue: fNull, rows: explained, nsamples, exhaustive };
}
