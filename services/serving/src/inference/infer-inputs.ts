import { AppError } from '@flywheel/core';
import type {
  InferTensorContents,
  ModelInferRequest,
  ModelInferRequest_InferInputTensor,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import { halfIsNonFinite } from '../runtime/half-float.ts';
import type { ModelSignature, TensorSpec, TensorValue } from '../runtime/model-runner.ts';
import {
  type ContentsField,
  contentsFields,
  type DatatypeInfo,
  infoOf,
  type TensorData,
} from '../runtime/oip-datatypes.ts';
import { decodeRaw, decodeUtf8 } from '../runtime/raw-tensors.ts';

/** How strictly inputs are checked beyond the signature. */
export interface DecodeOptions {
  /**
   * Accept NaN and ±Infinity in FP16/FP32/FP64 inputs. Off by default: a model's signature declares
   * real-valued features, and a non-finite one poisons its output silently. A deployment turns it on
   * with the label `serving.flywheel.dev/allow-non-finite: "true"`.
   */
  readonly allowNonFinite?: boolean;
}

/** A request's inputs, checked against the model and decoded. */
export interface DecodedInputs {
  /** One tensor per model input, by name. */
  readonly inputs: Map<string, TensorValue>;
  /** Rows in the request: the first dimension of its first input with one (1 when all are scalars). */
  readonly rows: number;
  /** Whether the request sent `raw_input_contents` (the response then answers in raw too). */
  readonly raw: boolean;
}

/** Largest element count one tensor may declare (2^31 − 1), far above any message size limit. */
const maxElements = 2 ** 31 - 1;

/**
 * Checks a ModelInferRequest's inputs against the model's signature and decodes them. Inputs come
 * either all in `contents` or all in `raw_input_contents` (one entry per input, in order).
 *
 * @throws AppError invalid_argument whose field and message name the input at fault: an unknown,
 *   repeated or missing input; a datatype other than the model's; a shape whose rank or fixed
 *   dimensions differ from the model's, or whose dynamic dimensions disagree between inputs; an
 *   element count or raw byte length that does not match the shape; a NaN or ±Infinity in a
 *   floating-point input unless `options.allowNonFinite`.
 */
export function decodeInferInputs(
  request: ModelInferRequest,
  signature: ModelSignature,
  options: DecodeOptions = {},
): DecodedInputs {
  const specs = specsOf(signature);
  const raw = request.rawInputContents.length > 0;
  if (raw && request.rawInputContents.length !== request.inputs.length) {
    throw AppError.invalidArgument(
      'raw_input_contents',
      `has ${request.rawInputContents.length} entries for ${request.inputs.length} inputs; send one per input, in the order of inputs`,
    );
  }
  const symbols = new Map<string, { size: number; input: string }>();
  const inputs = new Map<string, TensorValue>();
  let rows: number | undefined;
  request.inputs.forEach((input, i) => {
    const at = `inputs[${i}]`;
    const spec = specs.get(input.name);
    if (!spec) {
      throw AppError.invalidArgument(
        `${at}.name`,
        `unknown input "${input.name}"; the model's inputs are ${names(signature.inputs)}`,
      );
    }
    if (inputs.has(input.name))
      throw AppError.invalidArgument(`${at}.name`, `input "${input.name}" is given twice`);
    if (input.datatype !== spec.datatype) {
      throw AppError.invalidArgument(
        `${at}.datatype`,
        `input "${input.name}" is ${input.datatype || 'without a datatype'}; the model takes ${spec.datatype}`,
      );
    }
    const shape = checkShape(input, spec, at, symbols);
    const count = shape.reduce((product, dim) => product * dim, 1);
    if (count > maxElements) {
      throw AppError.invalidArgument(
        `${at}.shape`,
        `input "${input.name}" has more than ${maxElements} elements`,
      );
    }
    const data = raw
      ? decodeRawInput(input, spec, request.rawInputContents[i]!, count, i)
      : decodeContents(input, infoOf(spec.datatype), count, at);
    if (!options.allowNonFinite)
      rejectNonFinite(spec.datatype, data, raw ? `raw_input_contents[${i}]` : `${at}.contents`, input.name);
    inputs.set(input.name, { datatype: spec.datatype, shape, data });
    if (rows === undefined && shape.length > 0) rows = shape[0];
  });
  const missing = signature.inputs.filter((spec) => !inputs.has(spec.name)).map((spec) => `"${spec.name}"`);
  if (missing.length > 0) {
    throw AppError.invalidArgument(
      'inputs',
      `missing input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the model's inputs are ${names(signature.inputs)}`,
    );
  }
  return { inputs, rows: rows ?? 1, raw };
}

/** A signature's inputs by name, built once per loaded model (signatures do not change). */
const specsBySignature = new WeakMap<ModelSignature, ReadonlyMap<string, TensorSpec>>();
function specsOf(signature: ModelSignature): ReadonlyMap<string, TensorSpec> {
  let specs = specsBySignature.get(signature);
  if (!specs) {
    specs = new Map(signature.inputs.map((spec) => [spec.name, spec]));
    specsBySignature.set(signature, specs);
  }
  return specs;
}

function checkShape(
  input: ModelInferRequest_InferInputTensor,
  spec: TensorSpec,
  at: string,
  symbols: Map<string, { size: number; input: string }>,
): number[] {
  const shape = input.shape.map((dim, d) => {
    if (dim < 0n || dim > BigInt(maxElements)) {
      throw AppError.invalidArgument(
        `${at}.shape`,
        `input "${input.name}" dimension ${d} is ${dim}; dimensions are sizes from 0`,
      );
    }
    return Number(dim);
  });
  const mismatch = (): AppError =>
    AppError.invalidArgument(
      `${at}.shape`,
      `input "${input.name}" has shape [${shape.join(', ')}]; the model takes [${specShape(spec)}]`,
    );
  if (shape.length !== spec.shape.length) throw mismatch();
  spec.shape.forEach((dim, d) => {
    const size = shape[d]!;
    if (typeof dim === 'number') {
      if (size !== dim) throw mismatch();
      return;
    }
    if (dim === '') return;
    const bound = symbols.get(dim);
    if (!bound) symbols.set(dim, { size, input: input.name });
    else if (bound.size !== size) {
      throw AppError.invalidArgument(
        `${at}.shape`,
        `input "${input.name}" has ${size} in dimension ${d} ("${dim}") but input "${bound.input}" has ${bound.size}; they must agree`,
      );
    }
  });
  return shape;
}

function decodeRawInput(
  input: ModelInferRequest_InferInputTensor,
  spec: TensorSpec,
  bytes: Uint8Array,
  count: number,
  i: number,
): TensorData {
  const used = usedContents(input.contents);
  if (used.length > 0) {
    throw AppError.invalidArgument(
      `inputs[${i}].contents`,
      `input "${input.name}" sets contents while the request uses raw_input_contents; send every input one way`,
    );
  }
  return decodeRaw(spec.datatype, bytes, count, `raw_input_contents[${i}]`, `input "${input.name}"`);
}

function decodeContents(
  input: ModelInferRequest_InferInputTensor,
  info: DatatypeInfo,
  count: number,
  at: string,
): TensorData {
  const field = `${at}.contents`;
  const what = `input "${input.name}"`;
  if (!info.contents) {
    throw AppError.invalidArgument(
      field,
      `${what} is ${info.datatype}, which has no typed contents; send raw_input_contents`,
    );
  }
  const misplaced = usedContents(input.contents).filter((name) => name !== info.contents);
  if (misplaced.length > 0) {
    throw AppError.invalidArgument(
      field,
      `${what} is ${info.datatype} but sets ${snake(misplaced[0]!)}; ${info.datatype} values go in ${snake(info.contents)}`,
    );
  }
  const values = (input.contents?.[info.contents] ?? []) as readonly unknown[];
  if (values.length !== count) {
    throw AppError.invalidArgument(
      field,
      `${what} has ${values.length} values; shape [${input.shape.join(', ')}] needs ${count}`,
    );
  }
  switch (info.contents) {
    case 'boolContents':
      return Uint8Array.from(values as boolean[], (value) => (value ? 1 : 0));
    case 'bytesContents':
      return (values as Uint8Array[]).map((bytes) => decodeUtf8(bytes, field, what));
    case 'int64Contents':
    case 'uint64Contents':
      return (info.array as BigInt64ArrayConstructor).from(values as bigint[]);
    default: {
      const numbers = values as number[];
      if (info.range) {
        const [min, max] = info.range;
        const index = numbers.findIndex((value) => value < min || value > max);
        if (index >= 0) {
          throw AppError.invalidArgument(
            field,
            `${what} value ${index} is ${numbers[index]}, outside the ${info.datatype} range ${min}…${max}`,
          );
        }
      }
      return (info.array as Float64ArrayConstructor).from(numbers);
    }
  }
}

function rejectNonFinite(datatype: string, data: TensorData, field: string, name: string): void {
  let index = -1;
  if (datatype === 'FP16') index = (data as Uint16Array).findIndex(halfIsNonFinite);
  else if (datatype === 'FP32' || datatype === 'FP64')
    index = (data as Float32Array).findIndex((value) => !Number.isFinite(value));
  if (index < 0) return;
  throw AppError.invalidArgument(
    field,
    `input "${name}" value ${index} is not a finite number (NaN or ±Infinity); this deployment accepts finite values only (label serving.flywheel.dev/allow-non-finite: "true" allows them)`,
  );
}

function usedContents(contents: InferTensorContents | undefined): ContentsField[] {
  if (!contents) return [];
  return contentsFields.filter((name) => contents[name].length > 0);
}

function specShape(spec: TensorSpec): string {
  return spec.shape.map((dim) => (typeof dim === 'number' ? dim : -1)).join(', ');
}

function names(specs: readonly TensorSpec[]): string {
  return specs.map((spec) => `"${spec.name}"`).join(', ');
}

/** The .proto name of a contents field: fp32Contents → fp32_contents. */
function snake(field: ContentsField): string {
  return field.replace('Contents', '_contents');
}
