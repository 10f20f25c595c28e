import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import {
  type InferParameterSchema,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelInferResponseSchema,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import { halfToNumber, numberToHalf } from '../runtime/half-float.ts';
import { datatypeInfo, type OipDatatype, type TensorData } from '../runtime/oip-datatypes.ts';
import { decodeRaw, encodeRaw } from '../runtime/raw-tensors.ts';

/**
 * KServe v2 REST JSON ↔ the gRPC ModelInferRequest/Response, with Triton's binary tensor data
 * extension: the JSON header is followed by the binary tensors, `Inference-Header-Content-Length`
 * giving the header's length and each binary tensor's `parameters.binary_data_size` its own.
 * Every input travels to the infer path as raw little-endian bytes; JSON values are checked and
 * packed here so the core sees one encoding.
 */

type ResponseInit = MessageInitShape<typeof ModelInferResponseSchema>;
type ParameterInit = MessageInitShape<typeof InferParameterSchema>;

/** A REST inference request decoded into the gRPC message, plus how outputs should come back. */
export interface RestInferRequest {
  readonly request: ModelInferRequest;
  /** Output names whose data is returned as binary (binary_data) rather than JSON. */
  readonly binaryOutputs: ReadonlySet<string>;
  /** Every output is returned as binary (request parameter binary_data_output). */
  readonly allBinary: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Parameters that describe the transport, not the inference; they are not passed on. */
const transportParameters = new Set(['binary_data', 'binary_data_size', 'binary_data_output']);

/**
 * Decodes a REST infer body. `headerLength` is the `Inference-Header-Content-Length` header (the
 * whole body is JSON when undefined).
 *
 * @throws AppError invalid_argument naming the field at fault: a body that is not the JSON the
 *   protocol describes, values that do not fit their datatype or shape, binary sizes that do not
 *   add up to the body.
 */
export function decodeRestInferRequest(
  modelName: string,
  modelVersion: string,
  body: Uint8Array,
  headerLength: number | undefined,
  modelDatatype: (input: string) => string | undefined = () => undefined,
): RestInferRequest {
  if (headerLength !== undefined && (headerLength < 0 || headerLength > body.length)) {
    throw AppError.invalidArgument(
      'Inference-Header-Content-Length',
      `is ${headerLength} but the body has ${body.length} bytes`,
    );
  }
  const headerBytes = headerLength === undefined ? body : body.subarray(0, headerLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw AppError.invalidArgument('body', `is not a JSON inference request: ${(error as Error).message}`);
  }
  const json = objectAt(parsed, 'body');
  const inputs = arrayAt(json.inputs, 'inputs', true);
  let offset = headerLength ?? body.length;
  const raw: Uint8Array[] = [];
  const tensors = inputs.map((item, i) => {
    const at = `inputs[${i}]`;
    const input = objectAt(item, at);
    const name = stringAt(input.name, `${at}.name`);
    const datatype = stringAt(input.datatype, `${at}.datatype`);
    const shape = arrayAt(input.shape, `${at}.shape`, true).map((dim, d) => {
      if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
        throw AppError.invalidArgument(`${at}.shape`, `dimension ${d} of input "${name}" is not a size ≥ 0`);
      }
      return dim;
    });
    const parameters = input.parameters === undefined ? {} : objectAt(input.parameters, `${at}.parameters`);
    const binarySize = parameters.binary_data_size;
    if (binarySize !== undefined) {
      if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0) {
        throw AppError.invalidArgument(`${at}.parameters.binary_data_size`, 'must be a byte count ≥ 0');
      }
      if (offset + binarySize > body.length) {
        throw AppError.invalidArgument(
          `${at}.parameters.binary_data_size`,
          `input "${name}" claims ${binarySize} binary bytes; only ${body.length - offset} remain in the body`,
        );
      }
      if (input.data !== undefined) {
        throw AppError.invalidArgument(`${at}.data`, `input "${name}" has both data and binary_data_size`);
      }
      raw.push(body.subarray(offset, offset + binarySize));
      offset += binarySize;
    } else {
      // A datatype other than the model's is left to the infer path, which names the model's.
      const expected = modelDatatype(name);
      raw.push(
        expected !== undefined && expected !== datatype
          ? new Uint8Array(0)
          : packJson(datatype, shape, input.data, `${at}.data`, name),
      );
    }
    return {
      name,
      datatype,
      shape: shape.map(BigInt),
      parameters: parametersOf(parameters, `${at}.parameters`),
    };
  });
  if (offset !== body.length) {
    throw AppError.invalidArgument(
      'body',
      `has ${body.length - offset} bytes after the JSON header and binary inputs; binary_data_size must account for every byte`,
    );
  }
  const requestParameters = json.parameters === undefined ? {} : objectAt(json.parameters, 'parameters');
  const binaryOutputs = new Set<string>();
  const outputs =
    json.outputs === undefined
      ? []
      : arrayAt(json.outputs, 'outputs', false).map((item, j) => {
          const output = objectAt(item, `outputs[${j}]`);
          const name = stringAt(output.name, `outputs[${j}].name`);
          const parameters =
            output.parameters === undefined ? {} : objectAt(output.parameters, `outputs[${j}].parameters`);
          if (parameters.binary_data === true) binaryOutputs.add(name);
          return { name, parameters: parametersOf(parameters, `outputs[${j}].parameters`) };
        });
  const id = json.id === undefined ? '' : stringAt(json.id, 'id');
  return {
    request: create(ModelInferRequestSchema, {
      modelName,
      modelVersion,
      id,
      parameters: parametersOf(requestParameters, 'parameters'),
      inputs: tensors,
      outputs,
      rawInputContents: raw,
    }),
    binaryOutputs,
    allBinary: requestParameters.binary_data_output === true,
  };
}

/** A REST response: the JSON header and, when some outputs are binary, the bytes that follow it. */
export interface RestInferResponse {
  readonly header: Uint8Array;
  /** Binary output data, in output order; empty when every output is JSON. */
  readonly binary: readonly Uint8Array[];
}

/** Encodes a ModelInfer response as REST JSON, binary where the request asked for it. */
export function encodeRestInferResponse(response: ResponseInit, asked: RestInferRequest): RestInferResponse {
  const binary: Uint8Array[] = [];
  const raw = response.rawOutputContents ?? [];
  const outputs = (response.outputs ?? []).map((output, j) => {
    const datatype = output.datatype as OipDatatype;
    const shape = (output.shape ?? []).map(Number);
    const bytes = raw[j] ?? encodeRaw({ datatype, data: dataOfContents(datatype, output.contents) });
    const name = output.name ?? '';
    const head = `{"name":${JSON.stringify(name)},"datatype":${JSON.stringify(datatype)},"shape":${JSON.stringify(shape)}`;
    if (asked.allBinary || asked.binaryOutputs.has(name)) {
      binary.push(bytes);
      return `${head},"parameters":{"binary_data_size":${bytes.length}}}`;
    }
    const count = shape.reduce((product, dim) => product * dim, 1);
    return `${head},"data":${jsonData(datatype, decodeRaw(datatype, bytes, count, 'outputs', `output "${name}"`))}}`;
  });
  const header =
    `{"model_name":${JSON.stringify(response.modelName ?? '')},"model_version":${JSON.stringify(response.modelVersion ?? '')}` +
    `${response.id ? `,"id":${JSON.stringify(response.id)}` : ''},"outputs":[${outputs.join(',')}]}`;
  return { header: new TextEncoder().encode(header), binary };
}

/** JSON text of a tensor's elements, flat; 64-bit integers exact, non-finite floats as null. */
function jsonData(datatype: OipDatatype, data: TensorData): string {
  if (Array.isArray(data)) return JSON.stringify(data);
  if (datatype === 'BOOL') return JSON.stringify(Array.from(data as Uint8Array, (byte) => byte !== 0));
  if (datatype === 'FP16') return JSON.stringify(Array.from(data as Uint16Array, halfToNumber));
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return `[${data.join(',')}]`;
  return JSON.stringify(Array.from(data as Float64Array));
}

function dataOfContents(datatype: OipDatatype, contents: unknown): TensorData {
  const info = datatypeInfo(datatype)!;
  const values = ((contents as Record<string, unknown> | undefined)?.[info.contents ?? ''] ??
    []) as unknown[];
  if (datatype === 'BYTES') return (values as Uint8Array[]).map((bytes) => new TextDecoder().decode(bytes));
  if (datatype === 'BOOL') return Uint8Array.from(values as boolean[], (value) => (value ? 1 : 0));
  if (info.array === BigInt64Array || info.array === BigUint64Array) {
    return (info.array as BigInt64ArrayConstructor).from(values as bigint[]);
  }
  return (info.array as Float64ArrayConstructor).from(values as number[]);
}

/** Packs JSON tensor data (flat or nested, row-major) into raw little-endian bytes. */
function packJson(
  datatype: string,
  shape: readonly number[],
  data: unknown,
  field: string,
  name: string,
): Uint8Array {
  const info = datatypeInfo(datatype);
  // An unknown datatype is left to the infer path, which names the model's; send no bytes.
  if (!info) return new Uint8Array(0);
  if (data === undefined) {
    throw AppError.invalidArgument(field, `input "${name}" has neither data nor parameters.binary_data_size`);
  }
  const values = flatten(data, field);
  const count = shape.reduce((product, dim) => product * dim, 1);
  if (values.length !== count) {
    throw AppError.invalidArgument(
      field,
      `input "${name}" has ${values.length} values; shape [${shape.join(', ')}] needs ${count}`,
    );
  }
  const bad = (index: number, expected: string): never => {
    throw AppError.invalidArgument(
      field,
      `input "${name}" value ${index} is ${JSON.stringify(values[index])}; ${info.datatype} takes ${expected}`,
    );
  };
  switch (info.datatype) {
    case 'BYTES':
      return encodeRaw({
        datatype: 'BYTES',
        data: values.map((value, index) => (typeof value === 'string' ? value : bad(index, 'strings'))),
      });
    case 'BOOL':
      return Uint8Array.from(values, (value, index) =>
        typeof value === 'boolean' ? (value ? 1 : 0) : bad(index, 'true or false'),
      );
    case 'FP16':
      return encodeRaw({
        datatype: 'FP16',
        data: Uint16Array.from(values, (value, index) =>
          typeof value === 'number' ? numberToHalf(value) : bad(index, 'numbers'),
        ),
      });
    case 'FP32':
    case 'FP64':
      return encodeRaw({
        datatype: info.datatype,
        data: (info.array as Float64ArrayConstructor).from(values, (value, index) =>
          typeof value === 'number' ? value : bad(index, 'numbers'),
        ),
      });
    case 'INT64':
    case 'UINT64': {
      const [min, max] = info.datatype === 'INT64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      return encodeRaw({
        datatype: info.datatype,
        data: (info.array as BigInt64ArrayConstructor).from(values, (value, index) => {
          if (typeof value !== 'number' || !Number.isInteger(value)) return bad(index, 'integers');
          const big = BigInt(value);
          return big < min || big > max ? bad(index, `integers in ${min}…${max}`) : big;
        }),
      });
    }
    default: {
      const bits = info.byteSize * 8;
      const signed = info.datatype.startsWith('INT');
      const [min, max] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
      return encodeRaw({
        datatype: info.datatype,
        data: (info.array as Int32ArrayConstructor).from(values, (value, index) =>
          typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
            ? value
            : bad(index, `integers in ${min}…${max}`),
        ),
      });
    }
  }
}

function flatten(data: unknown, field: string): unknown[] {
  if (!Array.isArray(data)) return [data];
  const out: unknown[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 32) throw AppError.invalidArgument(field, 'nests arrays more than 32 deep');
    if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else out.push(value);
  };
  visit(data, 0);
  return out;
}

/** REST parameters as OIP InferParameters (transport parameters such as binary_data are dropped). */
function parametersOf(json: JsonObject, field: string): Record<string, ParameterInit> {
  const out: Record<string, ParameterInit> = {};
  for (const [key, value] of Object.entries(json)) {
    if (transportParameters.has(key)) continue;
    if (typeof value === 'boolean') out[key] = { parameterChoice: { case: 'boolParam', value } };
    else if (typeof value === 'string') out[key] = { parameterChoice: { case: 'stringParam', value } };
    else if (typeof value === 'number' && Number.isSafeInteger(value))
      out[key] = { parameterChoice: { case: 'int64Param', value: BigInt(value) } };
    else if (typeof value === 'number') out[key] = { parameterChoice: { case: 'doubleParam', value } };
    else throw AppError.invalidArgument(`${field}.${key}`, 'must be a boolean, number or string');
  }
  return out;
}

function objectAt(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw AppError.invalidArgument(field, 'must be a JSON object');
  }
  return value as JsonObject;
}

function arrayAt(value: unknown, field: string, required: boolean): Json[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) throw AppError.invalidArgument(field, 'must be a JSON array');
  return value;
}

function stringAt(value: unknown, field: string): string {
  if (typeof value !== 'string') throw AppError.invalidArgument(field, 'must be a string');
  return value;
}
