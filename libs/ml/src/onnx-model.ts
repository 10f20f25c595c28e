import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  type TypeProto,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from '@flywheel/proto/onnx/onnx_pb.js';
import { whyNotATensor } from './non-tensor-values.ts';

/**
 * Builds ONNX models from plain specs and reads a model's signature back.
 *
 * Element types are named with the Open Inference Protocol's datatype strings ("FP32", "INT64", …),
 * the vocabulary serving and its clients already speak.
 */

/** IR version written by default: 8, the one that pairs with opsets 15–18. */
export const defaultOnnxIrVersion = 8;

/** Opset of the standard ("" = ai.onnx) domain imported by default. onnxruntime 1.30 supports it fully. */
export const defaultOnnxOpsetVersion = 17;

/** Open Inference Protocol tensor datatypes that have an ONNX element type. */
export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BF16'
  | 'BYTES';

const onnxElemTypeByOip: Readonly<Record<OipDatatype, TensorProto_DataType>> = {
  BOOL: TensorProto_DataType.BOOL,
  UINT8: TensorProto_DataType.UINT8,
  UINT16: TensorProto_DataType.UINT16,
  UINT32: TensorProto_DataType.UINT32,
  UINT64: TensorProto_DataType.UINT64,
  INT8: TensorProto_DataType.INT8,
  INT16: TensorProto_DataType.INT16,
  INT32: TensorProto_DataType.INT32,
  INT64: TensorProto_DataType.INT64,
  FP16: TensorProto_DataType.FLOAT16,
  FP32: TensorProto_DataType.FLOAT,
  FP64: TensorProto_DataType.DOUBLE,
  BF16: TensorProto_DataType.BFLOAT16,
  BYTES: TensorProto_DataType.STRING,
};

const oipByOnnxElemType = new Map<number, OipDatatype>(
  Object.entries(onnxElemTypeByOip).map(([oip, onnx]) => [onnx, oip as OipDatatype]),
);

/** The ONNX element type (TensorProto.DataType number) of an OIP datatype. */
export function onnxElemTypeOf(datatype: OipDatatype): number {
  return onnxElemTypeByOip[datatype];
}

/** The OIP datatype of an ONNX element type, or undefined for types OIP cannot carry (e.g. FLOAT8). */
export function oipDatatypeOf(elemType: number): OipDatatype | undefined {
  return oipByOnnxElemType.get(elemType);
}

/** A graph input or output: a named tensor of one datatype and shape. */
export interface OnnxValueSpec {
  name: string;
  datatype: OipDatatype;
  /** Each dimension is a fixed size (integer ≥ 0) or a symbol ("N" for the batch); equal symbols are equal sizes. */
  shape: readonly (number | string)[];
  docString?: string;
}

/** One operator application; values are referred to by name. */
export interface OnnxNodeSpec {
  /** The operator, e.g. "MatMul". */
  opType: string;
  /** Consumed values in the operator's positional order; "" skips an optional input. */
  inputs: readonly string[];
  /** Produced values; each name must be new to the graph. */
  outputs: readonly string[];
  name?: string;
  /** Operator-set domain; default "" (standard ONNX). */
  domain?: string;
  /** Made with {@link intAttribute}, {@link floatAttribute} and friends. */
  attributes?: readonly AttributeProto[];
  docString?: string;
}

/** One imported operator set. */
export interface OnnxOpsetImport {
  /** "" is standard ONNX (ai.onnx); "ai.onnx.ml" the classical-ML operators. */
  domain: string;
  version: number;
}

/** Everything {@link buildOnnxModel} needs. */
export interface OnnxModelSpec {
  graphName: string;
  inputs: readonly OnnxValueSpec[];
  outputs: readonly OnnxValueSpec[];
  /** In topological order: every input produced before it is consumed. */
  nodes: readonly OnnxNodeSpec[];
  /** Constant tensors (weights), made with {@link floatTensor} / {@link int64Tensor}. */
  initializers?: readonly TensorProto[];
  /** Default: the standard domain at {@link defaultOnnxOpsetVersion}. */
  opsetImports?: readonly OnnxOpsetImport[];
  /** Default {@link defaultOnnxIrVersion}. */
  irVersion?: number;
  /** Default "flywheel". */
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graphDocString?: string;
  /** Stored as the model's metadata_props (onnxruntime shows them as custom metadata). */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * A FLOAT tensor (stored in float_data, so values are rounded to float32).
 *
 * @throws AppError invalid_argument when the value count is not the product of `dims`.
 */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  checkElementCount(name, dims, values.length);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    floatData: Array.from(values),
  });
}

/**
 * An INT64 tensor (stored in int64_data).
 *
 * @throws AppError invalid_argument when the value count is not the product of `dims`, or a number
 *   is not a safe integer.
 */
export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: readonly (number | bigint)[],
): TensorProto {
  checkElementCount(name, dims, values.length);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: TensorProto_DataType.INT64,
    int64Data: values.map((value, index) => {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) {
        throw AppError.invalidArgument(`${name}[${index}]`, `must be an integer, got ${value}`);
      }
      return BigInt(value);
    }),
  });
}

/** An INT attribute, e.g. Concat's `axis` or Cast's `to`. */
export function intAttribute(name: string, value: number | bigint): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
}

/** A FLOAT attribute, e.g. LeakyRelu's `alpha`. */
export function floatAttribute(name: string, value: number): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value });
}

/** An INTS attribute, e.g. Transpose's `perm`. */
export function intsAttribute(name: string, values: readonly (number | bigint)[]): AttributeProto {
  return create(AttributeProtoSchema, {
    name,
    type: AttributeProto_AttributeType.INTS,
    ints: values.map((value) => BigInt(value)),
  });
}

/** A FLOATS attribute. */
export function floatsAttribute(name: string, values: readonly number[]): AttributeProto {
  return create(AttributeProtoSchema, {
    name,
    type: AttributeProto_AttributeType.FLOATS,
    floats: [...values],
  });
}

/** A STRING attribute (UTF-8 encoded). */
export function stringAttribute(name: string, value: string): AttributeProto {
  return create(AttributeProtoSchema, {
    name,
    type: AttributeProto_AttributeType.STRING,
    s: new TextEncoder().encode(value),
  });
}

/** A TENSOR attribute, e.g. Constant's `value`. */
export function tensorAttribute(name: string, tensor: TensorProto): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.TENSOR, t: tensor });
}

/**
 * Assembles a ModelProto from a spec, checking that the graph is wired: every value is defined once
 * (input, initializer or node output), every node input is defined before the node, and every graph
 * output is defined. Operator semantics are left to the runtime.
 *
 * @throws AppError invalid_argument naming the spec field at fault.
 */
export function buildOnnxModel(spec: OnnxModelSpec): ModelProto {
  if (spec.graphName === '') throw AppError.invalidArgument('graphName', 'must not be empty');
  const defined = new Set<string>();
  const define = (name: string, field: string): void => {
    if (name === '') throw AppError.invalidArgument(field, 'name must not be empty');
    if (defined.has(name)) throw AppError.invalidArgument(field, `value "${name}" is defined twice`);
    defined.add(name);
  };
  for (const [i, input] of spec.inputs.entries()) define(input.name, `inputs[${i}].name`);
  const initializers = spec.initializers ?? [];
  for (const [i, tensor] of initializers.entries()) define(tensor.name, `initializers[${i}].name`);
  spec.nodes.forEach((node, n) => {
    if (node.opType === '') throw AppError.invalidArgument(`nodes[${n}].opType`, 'must not be empty');
    node.inputs.forEach((input, i) => {
      if (input !== '' && !defined.has(input)) {
        throw AppError.invalidArgument(
          `nodes[${n}].inputs[${i}]`,
          `"${input}" is not a graph input, an initializer or the output of an earlier node`,
        );
      }
    });
    for (const [i, output] of node.outputs.entries()) define(output, `nodes[${n}].outputs[${i}]`);
  });
  spec.outputs.forEach((output, i) => {
    if (!defined.has(output.name)) {
      throw AppError.invalidArgument(`outputs[${i}].name`, `"${output.name}" is not produced by the graph`);
    }
  });

  const opsetImports = spec.opsetImports ?? [{ domain: '', version: defaultOnnxOpsetVersion }];
  return create(ModelProtoSchema, {
    irVersion: BigInt(spec.irVersion ?? defaultOnnxIrVersion),
    producerName: spec.producerName ?? 'flywheel',
    producerVersion: spec.producerVersion ?? '',
    docString: spec.docString ?? '',
    opsetImport: opsetImports.map((opset) =>
      create(OperatorSetIdProtoSchema, { domain: opset.domain, version: BigInt(opset.version) }),
    ),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
    graph: create(GraphProtoSchema, {
      name: spec.graphName,
      docString: spec.graphDocString ?? '',
      input: spec.inputs.map((input, i) => valueInfo(input, `inputs[${i}]`)),
      output: spec.outputs.map((output, i) => valueInfo(output, `outputs[${i}]`)),
      initializer: [...initializers],
      node: spec.nodes.map((node) =>
        create(NodeProtoSchema, {
          opType: node.opType,
          input: [...node.inputs],
          output: [...node.outputs],
          name: node.name ?? '',
          domain: node.domain ?? '',
          attribute: [...(node.attributes ?? [])],
          docString: node.docString ?? '',
        }),
      ),
    }),
  });
}

/** The model's bytes, as an .onnx file holds them. */
export function encodeOnnxModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/**
 * Parses .onnx bytes. Fields this subset does not declare are kept as unknown fields, so
 * `encodeOnnxModel(decodeOnnxModel(bytes))` loses nothing.
 *
 * @throws AppError invalid_argument (field "model") when the bytes are not an ONNX model.
 */
export function decodeOnnxModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    throw AppError.invalidArgument('model', `not an ONNX model: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (model.graph === undefined || model.irVersion === 0n) {
    throw AppError.invalidArgument('model', 'not an ONNX model: no ir_version or no graph');
  }
  return model;
}

/** A graph input or output as a caller sees it. */
export interface OnnxTensorInfo {
  name: string;
  /** OIP datatype: "FP32", "INT64", … */
  datatype: OipDatatype;
  /** Sizes with -1 for a dynamic (symbolic or unknown) dimension; undefined when the rank is open. */
  shape: readonly number[] | undefined;
}

/** What serving needs from an artifact to describe and feed it. */
export interface OnnxSignature {
  irVersion: number;
  opsetImports: OnnxOpsetImport[];
  producerName: string;
  producerVersion: string;
  graphName: string;
  /** Inputs the caller must feed; inputs that double as initializers (defaults) are left out. */
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** The model's metadata_props. */
  metadata: Record<string, string>;
}

/**
 * Reads a model's signature: its inputs and outputs with OIP datatypes and shapes (-1 for dynamic).
 *
 * @throws AppError invalid_argument when the bytes are not an ONNX model, or an input or output is not
 *   a tensor of a datatype OIP can carry.
 */
export function readOnnxSignature(model: Uint8Array | ModelProto): OnnxSignature {
  const decoded = model instanceof Uint8Array ? decodeOnnxModel(model) : model;
  const graph = decoded.graph;
  if (graph === undefined) throw AppError.invalidArgument('model', 'has no graph');
  const initializerNames = new Set(graph.initializer.map((tensor) => tensor.name));
  return {
    irVersion: Number(decoded.irVersion),
    opsetImports: decoded.opsetImport.map((opset) => ({
      domain: opset.domain,
      version: Number(opset.version),
    })),
    producerName: decoded.producerName,
    producerVersion: decoded.producerVersion,
    graphName: graph.name,
    inputs: graph.input
      .map((input, i) => ({ input, i }))
      .filter(({ input }) => !initializerNames.has(input.name))
      .map(({ input, i }) => tensorInfo(decoded, input, 'input', `graph.input[${i}]`)),
    outputs: graph.output.map((output, i) => tensorInfo(decoded, output, 'output', `graph.output[${i}]`)),
    metadata: Object.fromEntries(decoded.metadataProps.map((entry) => [entry.key, entry.value])),
  };
}

function valueInfo(spec: OnnxValueSpec, field: string): ValueInfoProto {
  const elemType = onnxElemTypeByOip[spec.datatype];
  if (elemType === undefined) {
    throw AppError.invalidArgument(`${field}.datatype`, `unknown datatype "${spec.datatype}"`);
  }
  const dims = spec.shape.map((dim, d) => {
    if (typeof dim === 'string') {
      if (dim === '')
        throw AppError.invalidArgument(`${field}.shape[${d}]`, 'symbolic dimension must be named');
      return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: dim } });
    }
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw AppError.invalidArgument(
        `${field}.shape[${d}]`,
        `must be an integer ≥ 0 or a symbol, got ${dim}`,
      );
    }
    return create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(dim) } });
  });
  const type: TypeProto = create(TypeProtoSchema, {
    value: {
      case: 'tensorType',
      value: create(TypeProto_TensorSchema, {
        elemType,
        shape: create(TensorShapeProtoSchema, { dim: dims }),
      }),
    },
  });
  return create(ValueInfoProtoSchema, { name: spec.name, type, docString: spec.docString ?? '' });
}

function tensorInfo(
  model: ModelProto,
  value: ValueInfoProto,
  kind: 'input' | 'output',
  field: string,
): OnnxTensorInfo {
  const typeValue = value.type?.value;
  if (typeValue?.case !== 'tensorType') {
    throw AppError.invalidArgument(`${field}.type`, whyNotATensor(model, value.name, kind));
  }
  const tensor = typeValue.value;
  const datatype = oipDatatypeOf(tensor.elemType);
  if (datatype === undefined) {
    const onnxName = TensorProto_DataType[tensor.elemType] ?? String(tensor.elemType);
    throw AppError.invalidArgument(
      `${field}.type`,
      `"${value.name}" has element type ${onnxName}, which the Open Inference Protocol cannot carry`,
    );
  }
  const shape = tensor.shape?.dim.map((dim) =>
    dim.value.case === 'dimValue' ? Number(dim.value.value) : -1,
  );
  return { name: value.name, datatype, shape };
}

function checkElementCount(name: string, dims: readonly number[], count: number): void {
  let expected = 1;
  for (const [d, dim] of dims.entries()) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw AppError.invalidArgument(`${name}.dims[${d}]`, `must be an integer ≥ 0, got ${dim}`);
    }
    expected *= dim;
  }
  if (count !== expected) {
    throw AppError.invalidArgument(
      name,
      `has ${count} values but dims [${dims.join(', ')}] need ${expected}`,
    );
  }
}
