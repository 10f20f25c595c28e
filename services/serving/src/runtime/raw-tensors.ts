import { endianness } from 'node:os';
import { AppError } from '@flywheel/core';
import type { TensorValue } from './model-runner.ts';
import { infoOf, type OipDatatype, type TensorData } from './oip-datatypes.ts';

/**
 * The Open Inference Protocol's raw tensor layout: elements flattened row-major, little-endian, no
 * padding; BYTES elements each prefixed by a 4-byte little-endian length.
 */

const bigEndianHost = endianness() === 'BE';
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * Decodes `bytes` as `count` elements of `datatype`. The result owns its memory (aligned, not a
 * view of the request buffer).
 *
 * @throws AppError invalid_argument naming `field` (and `what`, the input) when the byte length
 *   does not match the element count, or BYTES elements are malformed or not UTF-8.
 */
export function decodeRaw(
  datatype: OipDatatype,
  bytes: Uint8Array,
  count: number,
  field: string,
  what: string,
): TensorData {
  const info = infoOf(datatype);
  if (!info.array) return decodeRawStrings(bytes, count, field, what);
  const expected = count * info.byteSize;
  if (bytes.length !== expected) {
    throw AppError.invalidArgument(
      field,
      `${what} has ${bytes.length} bytes of raw contents; ${count} ${datatype} elements need ${expected}`,
    );
  }
  // A copy, aligned at offset 0 (gRPC hands over Buffers, whose slice() would be a view of a shared pool).
  const copy = new Uint8Array(bytes);
  if (bigEndianHost) swapBytes(copy, info.byteSize);
  return new info.array(copy.buffer, 0, count);
}

function decodeRawStrings(bytes: Uint8Array, count: number, field: string, what: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const strings: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) {
      throw AppError.invalidArgument(
        field,
        `${what}: BYTES element ${strings.length} has a truncated length prefix`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.length) {
      throw AppError.invalidArgument(
        field,
        `${what}: BYTES element ${strings.length} claims ${length} bytes; only ${bytes.length - offset} remain`,
      );
    }
    strings.push(decodeUtf8(bytes.subarray(offset, offset + length), field, what));
    offset += length;
  }
  if (strings.length !== count) {
    throw AppError.invalidArgument(
      field,
      `${what} has ${strings.length} BYTES elements in its raw contents; its shape needs ${count}`,
    );
  }
  return strings;
}

/** UTF-8 text of a BYTES element; onnxruntime's string tensors hold text. */
export function decodeUtf8(bytes: Uint8Array, field: string, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw AppError.invalidArgument(field, `${what}: BYTES elements must be UTF-8 text for this model`);
  }
}

/** The raw contents of a tensor (little-endian). */
export function encodeRaw(value: Pick<TensorValue, 'datatype' | 'data'>): Uint8Array {
  const { data } = value;
  if (Array.isArray(data)) {
    const parts = data.map((text) => encoder.encode(text));
    const out = new Uint8Array(parts.reduce((sum, part) => sum + 4 + part.length, 0));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const part of parts) {
      view.setUint32(offset, part.length, true);
      out.set(part, offset + 4);
      offset += 4 + part.length;
    }
    return out;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!bigEndianHost) return bytes;
  const copy = new Uint8Array(bytes);
  swapBytes(copy, infoOf(value.datatype).byteSize);
  return copy;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size <= 1) return;
  for (let start = 0; start < bytes.length; start += size) bytes.subarray(start, start + size).reverse();
}
