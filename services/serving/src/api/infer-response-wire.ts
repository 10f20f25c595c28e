import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ModelInferResponseSchema } from '@flywheel/proto/inference/grpc_service_pb.js';

type ResponseInit = MessageInitShape<typeof ModelInferResponseSchema>;

/**
 * The protobuf bytes of a ModelInferResponse whose outputs travel in `raw_output_contents` (what
 * tritonclient and perf_analyzer ask for), written straight from the answer: no message objects
 * are built, and one buffer is filled. The same bytes as `toBinary(create(ModelInferResponseSchema,
 * response))` (the test `encodes-infer-responses-on-the-wire` checks it): fields in number order,
 * empty strings left out, `shape` packed. Undefined for any other answer (parameters, typed
 * contents, unknown fields), which the caller encodes with @bufbuild/protobuf.
 */
export function encodeRawInferResponse(response: ResponseInit): Buffer | undefined {
  if (response.parameters !== undefined && Object.keys(response.parameters).length > 0) return undefined;
  if ('$typeName' in response) return undefined;
  const outputs = response.outputs ?? [];
  const raw = response.rawOutputContents ?? [];
  const strings = [response.modelName ?? '', response.modelVersion ?? '', response.id ?? ''];
  const stringBytes = strings.map((text) => Buffer.byteLength(text));
  let size = 0;
  for (let f = 0; f < 3; f++)
    if (stringBytes[f]! > 0) size += 1 + varintSize(stringBytes[f]!) + stringBytes[f]!;
  const outputSizes: { name: number; datatype: number; shape: number; body: number }[] = [];
  for (const output of outputs) {
    if (output.contents !== undefined || '$typeName' in output) return undefined;
    if (output.parameters !== undefined && Object.keys(output.parameters).length > 0) return undefined;
    const name = Buffer.byteLength(output.name ?? '');
    const datatype = Buffer.byteLength(output.datatype ?? '');
    let shape = 0;
    for (const dim of output.shape ?? []) shape += int64Size(dim);
    const body =
      (name > 0 ? 1 + varintSize(name) + name : 0) +
      (datatype > 0 ? 1 + varintSize(datatype) + datatype : 0) +
      (shape > 0 ? 1 + varintSize(shape) + shape : 0);
    outputSizes.push({ name, datatype, shape, body });
    size += 1 + varintSize(body) + body;
  }
  for (const bytes of raw) size += 1 + varintSize(bytes.length) + bytes.length;

  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const writeVarint = (value: number): void => {
    while (value > 0x7f) {
      out[at++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[at++] = value;
  };
  const writeString = (tag: number, text: string, bytes: number): void => {
    if (bytes === 0) return;
    out[at++] = tag;
    writeVarint(bytes);
    at += out.write(text, at, 'utf8');
  };
  writeString(0x0a, strings[0]!, stringBytes[0]!);
  writeString(0x12, strings[1]!, stringBytes[1]!);
  writeString(0x1a, strings[2]!, stringBytes[2]!);
  outputs.forEach((output, i) => {
    const sizes = outputSizes[i]!;
    out[at++] = 0x2a;
    writeVarint(sizes.body);
    writeString(0x0a, output.name ?? '', sizes.name);
    writeString(0x12, output.datatype ?? '', sizes.datatype);
    if (sizes.shape > 0) {
      out[at++] = 0x1a;
      writeVarint(sizes.shape);
      for (const dim of output.shape ?? []) at = writeInt64(out, at, dim);
    }
  });
  for (const bytes of raw) {
    out[at++] = 0x32;
    writeVarint(bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    size++;
    value = Math.floor(value / 128);
  }
  return size;
}

/** Bytes of an int64 as a varint: negative values take 10 (two's complement, as protobuf writes them). */
function int64Size(dim: bigint | number | string): number {
  if (typeof dim === 'bigint' && dim >= 0n && dim <= 0x7fn) return 1;
  const value = BigInt(dim);
  if (value < 0n) return 10;
  if (value <= 0x7fn) return 1;
  let size = 0;
  for (let v = value; v > 0n; v >>= 7n) size++;
  return size;
}

function writeInt64(out: Buffer, at: number, dim: bigint | number | string): number {
  // Small dimensions (all of a tensor's, in practice) without bigint arithmetic.
  if (typeof dim === 'bigint' ? dim >= 0n && dim <= 0x7fn : Number(dim) >= 0 && Number(dim) <= 0x7f) {
    out[at++] = Number(dim);
    return at;
  }
  let value = BigInt.asUintN(64, BigInt(dim));
  while (value > 0x7fn) {
    out[at++] = Number(value & 0x7fn) | 0x80;
    value >>= 7n;
  }
  out[at++] = Number(value);
  return at;
}
