import { fromBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
} from '@flywheel/proto/onnx/onnx_pb.js';
import type { ModelSignature } from './model-runner.ts';

/**
 * What an ONNX graph computes when it is affine in its inputs: Explain's exact method reads it.
 *
 * Features are the per-row elements of the inputs, flattened in signature order (an input
 * `[N, d]` gives d features); every input must be `[N, d]` with d fixed.
 */
export interface LinearForm {
  /** Features (sum of the inputs' per-row widths). */
  readonly featureCount: number;
  /** Outputs whose value is link(coefficients · x + intercept), by output name. */
  readonly outputs: ReadonlyMap<string, LinearOutput>;
  /**
   * The constant the raw feature vector is centred by (`Sub(features, mean)`, the standardization
   * Flywheel's logistic regressions carry): the training means, one per feature; undefined when the
   * graph has none.
   */
  readonly trainingMeans?: Float64Array | undefined;
}

/** One affine (or logistic-of-affine) output; element k of a row is link(coefficients[k] · x + intercepts[k]). */
export interface LinearOutput {
  readonly link: 'identity' | 'logistic';
  /** Per output element of a row: one coefficient per feature. */
  readonly coefficients: readonly Float64Array[];
  readonly intercepts: Float64Array;
}

/** A tensor known at load time, float64, row-major. */
interface Constant {
  readonly kind: 'constant';
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** A `[N, width]` value affine in the features: row j = coef[j] · x + bias[j]. */
interface Affine {
  readonly kind: 'affine';
  readonly coef: Float64Array[];
  readonly bias: Float64Array;
}

interface Logistic {
  readonly kind: 'logistic';
  readonly inner: Affine;
}

type Value = Constant | Affine | Logistic;

/**
 * Most multiply-adds folding one graph may take (~tens of ms): it runs on the loading thread, and a
 * deep, wide graph (a stack of 512 × 512 MatMuls) would otherwise block it for minutes to find a
 * form Explain could not use anyway. A graph over budget has no linear form (KernelSHAP explains it).
 */
const foldingBudget = 2 ** 24;

/** Work left for one graph's folding; an op that would overdraw it yields no value. */
interface Budget {
  left: number;
}

/** Takes `cost` from the budget; false (and nothing taken) when it does not cover it. */
function spend(budget: Budget, cost: number): boolean {
  if (cost > budget.left) return false;
  budget.left -= cost;
  return true;
}

/**
 * Reads an ONNX artifact's graph as affine maps, node by node (Identity, Concat on axis 1, Add, Sub,
 * Mul, Div with constants or each other, MatMul and Gemm by a constant matrix, Sigmoid as the link,
 * initializers and Constant nodes as constants); a value any other op produces is not linear, and
 * neither is anything computed from it. Never throws: an artifact it cannot read has no linear form.
 *
 * @returns the form when at least one output is linear; undefined otherwise.
 */
export function linearFormOf(artifact: Uint8Array, signature: ModelSignature): LinearForm | undefined {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, artifact);
  } catch {
    return undefined;
  }
  const graph = model.graph;
  if (!graph) return undefined;
  const values = new Map<string, Value>();
  let featureCount = 0;
  const widths: number[] = [];
  for (const input of signature.inputs) {
    const width = input.shape.length === 2 ? input.shape[1] : undefined;
    if (typeof width !== 'number' || width < 1) return undefined;
    widths.push(width);
    featureCount += width;
  }
  let offset = 0;
  signature.inputs.forEach((input, i) => {
    const width = widths[i]!;
    const coef = Array.from({ length: width }, (_, j) => {
      const row = new Float64Array(featureCount);
      row[offset + j] = 1;
      return row;
    });
    values.set(input.name, { kind: 'affine', coef, bias: new Float64Array(width) });
    offset += width;
  });
  for (const initializer of graph.initializer) {
    const constant = constantOf(initializer);
    if (constant && !values.has(initializer.name)) values.set(initializer.name, constant);
  }
  let trainingMeans: Float64Array | undefined;
  const budget: Budget = { left: foldingBudget };
  for (const node of graph.node) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    const inputs = node.input.map((name) => values.get(name));
    let result: Value | undefined;
    try {
      result = evaluate(node, inputs, budget);
    } catch {
      result = undefined;
    }
    if (node.opType === 'Sub' && inputs[0]?.kind === 'affine' && inputs[1]?.kind === 'constant') {
      if (isIdentity(inputs[0], featureCount)) {
        trainingMeans = broadcastRow(inputs[1], featureCount);
      }
    }
    if (result && node.output[0]) values.set(node.output[0], result);
  }
  const outputs = new Map<string, LinearOutput>();
  for (const output of signature.outputs) {
    const value = values.get(output.name);
    if (value?.kind === 'affine') {
      outputs.set(output.name, { link: 'identity', coefficients: value.coef, intercepts: value.bias });
    } else if (value?.kind === 'logistic') {
      outputs.set(output.name, {
        link: 'logistic',
        coefficients: value.inner.coef,
        intercepts: value.inner.bias,
      });
    }
  }
  if (outputs.size === 0) return undefined;
  return { featureCount, outputs, trainingMeans };
}

function evaluate(node: NodeProto, inputs: (Value | undefined)[], budget: Budget): Value | undefined {
  const [a, b] = inputs;
  const affineWork = inputs.reduce(
    (work, value) => work + (value?.kind === 'affine' ? value.coef.length * (value.coef[0]?.length ?? 0) : 0),
    0,
  );
  if (!spend(budget, affineWork)) return undefined;
  switch (node.opType) {
    case 'Identity':
      return a;
    case 'Constant': {
      const tensor = node.attribute.find((attribute) => attribute.name === 'value')?.t;
      return tensor ? constantOf(tensor) : undefined;
    }
    case 'Concat': {
      const axis = intAttribute(node.attribute, 'axis') ?? 0;
      if ((axis !== 1 && axis !== -1) || inputs.some((value) => value?.kind !== 'affine')) return undefined;
      const parts = inputs as Affine[];
      return {
        kind: 'affine',
        coef: parts.flatMap((part) => part.coef),
        bias: Float64Array.from(parts.flatMap((part) => [...part.bias])),
      };
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      if (!a || !b) return undefined;
      return elementwise(node.opType, a, b);
    case 'MatMul':
      if (a?.kind !== 'affine' || b?.kind !== 'constant' || b.dims.length !== 2) return undefined;
      if (!spend(budget, b.data.length * (a.coef[0]?.length ?? 0))) return undefined;
      return times(a, b.data, b.dims[0]!, b.dims[1]!, false);
    case 'Gemm': {
      if (a?.kind !== 'affine' || b?.kind !== 'constant' || b.dims.length !== 2) return undefined;
      if (intAttribute(node.attribute, 'transA')) return undefined;
      const transB = intAttribute(node.attribute, 'transB') === 1;
      const alpha = floatAttribute(node.attribute, 'alpha') ?? 1;
      const beta = floatAttribute(node.attribute, 'beta') ?? 1;
      if (!spend(budget, b.data.length * (a.coef[0]?.length ?? 0))) return undefined;
      const rows = transB ? b.dims[1]! : b.dims[0]!;
      const cols = transB ? b.dims[0]! : b.dims[1]!;
      let product: Value | undefined = scale(times(a, b.data, rows, cols, transB), alpha);
      const c = inputs[2];
      if (product && c) {
        if (c.kind !== 'constant') return undefined;
        product = elementwise('Add', product, { ...c, data: c.data.map((v) => v * beta) });
      }
      return product;
    }
    case 'Sigmoid':
      return a?.kind === 'affine' ? { kind: 'logistic', inner: a } : undefined;
    default:
      return undefined;
  }
}

/** a ⊙ b for an affine value and a constant broadcast along the row (or two affine values, ±). */
function elementwise(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Value, b: Value): Value | undefined {
  if (a.kind === 'logistic' || b.kind === 'logistic') return undefined;
  if (a.kind === 'affine' && b.kind === 'affine') {
    if ((op !== 'Add' && op !== 'Sub') || a.coef.length !== b.coef.length) return undefined;
    const sign = op === 'Add' ? 1 : -1;
    return {
      kind: 'affine',
      coef: a.coef.map((row, j) => row.map((v, i) => v + sign * b.coef[j]![i]!)),
      bias: a.bias.map((v, j) => v + sign * b.bias[j]!),
    };
  }
  if (a.kind === 'constant' && b.kind === 'constant') return undefined;
  const affine = (a.kind === 'affine' ? a : b) as Affine;
  const constant = (a.kind === 'constant' ? a : b) as Constant;
  const c = broadcastRow(constant, affine.coef.length);
  if (!c) return undefined;
  const constantFirst = a.kind === 'constant';
  switch (op) {
    case 'Add':
      return { ...affine, bias: affine.bias.map((v, j) => v + c[j]!) };
    case 'Sub':
      return constantFirst
        ? {
            kind: 'affine',
            coef: affine.coef.map((row) => row.map((v) => -v)),
            bias: affine.bias.map((v, j) => c[j]! - v),
          }
        : { ...affine, bias: affine.bias.map((v, j) => v - c[j]!) };
    case 'Mul':
      return {
        kind: 'affine',
        coef: affine.coef.map((row, j) => row.map((v) => v * c[j]!)),
        bias: affine.bias.map((v, j) => v * c[j]!),
      };
    case 'Div':
      if (constantFirst) return undefined;
      return {
        kind: 'affine',
        coef: affine.coef.map((row, j) => row.map((v) => v / c[j]!)),
        bias: affine.bias.map((v, j) => v / c[j]!),
      };
  }
}

/** affine [N, rows] · matrix [rows, cols] (or its transpose when `transposed`). */
function times(
  a: Affine,
  matrix: Float64Array,
  rows: number,
  cols: number,
  transposed: boolean,
): Affine | undefined {
  if (a.coef.length !== rows) return undefined;
  const at = (i: number, j: number): number => (transposed ? matrix[j * rows + i]! : matrix[i * cols + j]!);
  const features = a.coef[0]?.length ?? 0;
  const coef = Array.from({ length: cols }, (_, j) => {
    const row = new Float64Array(features);
    for (let i = 0; i < rows; i++) {
      const m = at(i, j);
      const source = a.coef[i]!;
      for (let f = 0; f < features; f++) row[f]! += m * source[f]!;
    }
    return row;
  });
  const bias = new Float64Array(cols);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) bias[j]! += at(i, j) * a.bias[i]!;
  return { kind: 'affine', coef, bias };
}

function scale(a: Affine | undefined, factor: number): Affine | undefined {
  if (!a || factor === 1) return a;
  return {
    kind: 'affine',
    coef: a.coef.map((row) => row.map((v) => v * factor)),
    bias: a.bias.map((v) => v * factor),
  };
}

/** A constant as one value per row element: a scalar, `[width]` or `[1, width]`. */
function broadcastRow(constant: Constant, width: number): Float64Array | undefined {
  const { dims, data } = constant;
  if (dims.length > 2 || (dims.length === 2 && dims[0] !== 1)) return undefined;
  if (data.length === 1) return new Float64Array(width).fill(data[0]!);
  return data.length === width ? data : undefined;
}

function isIdentity(a: Affine, featureCount: number): boolean {
  return (
    a.coef.length === featureCount &&
    a.bias.every((v) => v === 0) &&
    a.coef.every((row, j) => row.every((v, i) => v === (i === j ? 1 : 0)))
  );
}

function constantOf(tensor: TensorProto): Constant | undefined {
  const dims = tensor.dims.map(Number);
  const count = dims.reduce((product, d) => product * d, 1);
  let data: Float64Array;
  if (tensor.dataType === TensorProto_DataType.FLOAT) {
    data =
      tensor.rawData.length > 0
        ? Float64Array.from(new Float32Array(tensor.rawData.slice().buffer, 0, tensor.rawData.length / 4))
        : Float64Array.from(tensor.floatData, (v) => Math.fround(v));
  } else if (tensor.dataType === TensorProto_DataType.DOUBLE) {
    data =
      tensor.rawData.length > 0
        ? new Float64Array(tensor.rawData.slice().buffer, 0, tensor.rawData.length / 8)
        : Float64Array.from(tensor.doubleData);
  } else {
    return undefined;
  }
  return data.length === count ? { kind: 'constant', dims, data } : undefined;
}

function intAttribute(attributes: readonly AttributeProto[], name: string): number | undefined {
  const attribute = attributes.find((a) => a.name === name);
  return attribute ? Number(attribute.i) : undefined;
}

function floatAttribute(attributes: readonly AttributeProto[], name: string): number | undefined {
  return attributes.find((a) => a.name === name)?.f;
}
