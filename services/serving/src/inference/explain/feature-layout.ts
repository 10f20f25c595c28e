import { AppError } from '@flywheel/core';
import type { ModelSignature, TensorValue } from '../../runtime/model-runner.ts';
import { infoOf, type OipDatatype, type TensorData } from '../../runtime/oip-datatypes.ts';

/** Datatypes Explain mixes row by row: integers and FP32/FP64 (FP16 travels as bits, BYTES as text). */
const explainable = new Set<OipDatatype>([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
]);

/** Where one input's features sit among a row's features. */
export interface InputSlot {
  readonly name: string;
  readonly datatype: OipDatatype;
  /** Features it holds per row (its fixed second dimension). */
  readonly width: number;
  /** Index of its first feature. */
  readonly offset: number;
}

/** A model's features: the per-row elements of its inputs, in input order. */
export interface FeatureLayout {
  readonly names: readonly string[];
  readonly slots: readonly InputSlot[];
}

/**
 * The features of a model whose inputs are all `[N, d]` (d fixed) of a numeric datatype.
 *
 * @throws AppError unimplemented naming `rows.inputs.<name>` for an input of another shape or of
 *   datatype FP16/BF16/BYTES.
 */
export function featureLayoutOf(signature: ModelSignature): FeatureLayout {
  const names: string[] = [];
  const slots: InputSlot[] = [];
  for (const input of signature.inputs) {
    const width = input.shape.length === 2 ? input.shape[1] : undefined;
    if (typeof width !== 'number' || width < 1) {
      throw new AppError(
        'unimplemented',
        `rows.inputs.${input.name}: Explain takes inputs shaped [N, d] with d fixed; this one is [${input.shape.join(', ')}]`,
        { field: `rows.inputs.${input.name}` },
      );
    }
    if (!explainable.has(input.datatype)) {
      throw new AppError(
        'unimplemented',
        `rows.inputs.${input.name}: Explain does not mix ${input.datatype} inputs; it takes integer, BOOL, FP32 and FP64 ones`,
        { field: `rows.inputs.${input.name}` },
      );
    }
    slots.push({ name: input.name, datatype: input.datatype, width, offset: names.length });
    for (let j = 0; j < width; j++) names.push(width === 1 ? input.name : `${input.name}[${j}]`);
  }
  return { names, slots };
}

/** The features of every row of decoded inputs, as numbers. */
export function featureRows(
  layout: FeatureLayout,
  inputs: ReadonlyMap<string, TensorValue>,
  rows: number,
): Float64Array[] {
  return Array.from({ length: rows }, (_, r) => {
    const row = new Float64Array(layout.names.length);
    for (const slot of layout.slots) {
      const data = inputs.get(slot.name)!.data as ArrayLike<number | bigint>;
      for (let j = 0; j < slot.width; j++) row[slot.offset + j] = Number(data[r * slot.width + j]!);
    }
    return row;
  });
}

/** One row of features as model inputs of their datatypes (a model-stored background row). */
export function inputsOfRow(layout: FeatureLayout, row: Float64Array): Map<string, TensorValue> {
  const inputs = new Map<string, TensorValue>();
  for (const slot of layout.slots) {
    const array = infoOf(slot.datatype).array!;
    const values = Array.from(row.subarray(slot.offset, slot.offset + slot.width));
    const data = (
      array === BigInt64Array || array === BigUint64Array
        ? new array(values.map((v) => BigInt(Math.round(v))))
        : new (array as Float64ArrayConstructor)(values)
    ) as TensorData;
    inputs.set(slot.name, { datatype: slot.datatype, shape: [1, slot.width], data });
  }
  return inputs;
}

/**
 * Model inputs of `masks.length × backgroundRows` rows: for coalition s and background row b, each
 * feature f comes from the explained row when masks[s][varying[f]] is set, else from background
 * row b. Values are copied as they are (no conversion), so the model sees the inputs it was given.
 *
 * @param varying feature index → index into the masks, or −1 for a feature that never varies
 *   (taken from the background, where it equals the explained row's).
 */
export function coalitionInputs(
  layout: FeatureLayout,
  explained: ReadonlyMap<string, TensorValue>,
  row: number,
  background: ReadonlyMap<string, TensorValue>,
  backgroundRows: number,
  masks: readonly Uint8Array[],
  varying: Int32Array,
): Map<string, TensorValue> {
  const inputs = new Map<string, TensorValue>();
  const rows = masks.length * backgroundRows;
  for (const slot of layout.slots) {
    const source = explained.get(slot.name)!.data as unknown as Indexed;
    const base = background.get(slot.name)!.data as unknown as Indexed;
    const array = infoOf(slot.datatype).array!;
    const out = new array(rows * slot.width) as unknown as Indexed;
    let o = 0;
    for (const mask of masks) {
      for (let b = 0; b < backgroundRows; b++) {
        for (let j = 0; j < slot.width; j++) {
          const v = varying[slot.offset + j]!;
          out[o++] = v >= 0 && mask[v] === 1 ? source[row * slot.width + j]! : base[b * slot.width + j]!;
        }
      }
    }
    inputs.set(slot.name, {
      datatype: slot.datatype,
      shape: [rows, slot.width],
      data: out as unknown as TensorData,
    });
  }
  return inputs;
}

type Indexed = { [index: number]: number | bigint; length: number };
