import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import type {
  InferTensorContentsSchema,
  ModelInferRequest,
  ModelInferResponseSchema,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ModelSignature, TensorValue } from '../runtime/model-runner.ts';
import { infoOf } from '../runtime/oip-datatypes.ts';
import { encodeRaw } from '../runtime/raw-tensors.ts';

type ResponseInit = MessageInitShape<typeof ModelInferResponseSchema>;
type ContentsInit = MessageInitShape<typeof InferTensorContentsSchema>;

/**
 * The outputs a request asks for, in its order; every model output when it names none.
 *
 * @throws AppError invalid_argument (field `outputs[j].name`) for an output the model does not
 *   have, or one named twice.
 */
export function requestedOutputs(request: ModelInferRequest, signature: ModelSignature): string[] {
  if (request.outputs.length === 0) return signature.outputs.map((output) => output.name);
  const known = new Set(signature.outputs.map((output) => output.name));
  const names: string[] = [];
  request.outputs.forEach((output, j) => {
    if (!known.has(output.name)) {
      throw AppError.invalidArgument(
        `outputs[${j}].name`,
        `unknown output "${output.name}"; the model's outputs are ${[...known].map((name) => `"${name}"`).join(', ')}`,
      );
    }
    if (names.includes(output.name)) {
      throw AppError.invalidArgument(`outputs[${j}].name`, `output "${output.name}" is asked for twice`);
    }
    names.push(output.name);
  });
  return names;
}

/**
 * The response's output tensors: in `raw_output_contents` when the request sent raw inputs (as
 * tritonclient expects) or an output has no typed contents (FP16), else in typed `contents`.
 */
export function encodeOutputs(
  names: readonly string[],
  values: ReadonlyMap<string, TensorValue>,
  raw: boolean,
): Pick<ResponseInit, 'outputs' | 'rawOutputContents'> {
  const tensors = names.map((name) => ({ name, value: values.get(name)! }));
  const useRaw = raw || tensors.some(({ value }) => infoOf(value.datatype).contents === undefined);
  return {
    outputs: tensors.map(({ name, value }) => ({
      name,
      datatype: value.datatype,
      shape: value.shape.map(BigInt),
      ...(useRaw ? {} : { contents: contentsOf(value) }),
    })),
    rawOutputContents: useRaw ? tensors.map(({ value }) => encodeRaw(value)) : [],
  };
}

function contentsOf(value: TensorValue): ContentsInit {
  const { data } = value;
  const field = infoOf(value.datatype).contents;
  if (Array.isArray(data)) {
    const encoder = new TextEncoder();
    return { bytesContents: data.map((text) => encoder.encode(text)) };
  }
  switch (field) {
    case 'boolContents':
      return { boolContents: Array.from(data as Uint8Array, (byte) => byte !== 0) };
    case 'int64Contents':
      return { int64Contents: Array.from(data as BigInt64Array) };
    case 'uint64Contents':
      return { uint64Contents: Array.from(data as BigUint64Array) };
    case 'intContents':
      return { intContents: Array.from(data as Int32Array) };
    case 'uintContents':
      return { uintContents: Array.from(data as Uint32Array) };
    case 'fp32Contents':
      return { fp32Contents: Array.from(data as Float32Array) };
    case 'fp64Contents':
      return { fp64Contents: Array.from(data as Float64Array) };
    default:
      return {};
  }
}
