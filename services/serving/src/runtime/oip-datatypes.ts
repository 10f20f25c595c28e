/**
 * Elements of a tensor, flattened row-major: a typed array for numbers (BOOL as 0/1 bytes, FP16 as
 * raw half-precision bits), strings for BYTES. Typed arrays transfer to worker threads as they are.
 */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** The `InferTensorContents` fields, one per kind of element; FP16 has none (raw only). */
export const contentsFields = [
  'boolContents',
  'intContents',
  'int64Contents',
  'uintContents',
  'uint64Contents',
  'fp32Contents',
  'fp64Contents',
  'bytesContents',
] as const;

/** Which `InferTensorContents` field carries a datatype's elements. */
export type ContentsField = (typeof contentsFields)[number];

/** The onnxruntime-node tensor type names serving uses. */
export type OrtType = (typeof table)[number]['ortType'];

type NumericArrayConstructor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | BigUint64ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** One row of the datatype table. */
interface DatatypeRow {
  readonly datatype: string;
  readonly ortType: string;
  /** Bytes per element in raw contents; 0 for BYTES (each element is length-prefixed). */
  readonly byteSize: number;
  readonly contents: ContentsField | undefined;
  /** The typed array holding elements; undefined for BYTES. */
  readonly array: NumericArrayConstructor | undefined;
  /** Integer range that `contents` values must fit, for the 8/16/32-bit types sent as 32-bit ints. */
  readonly range?: readonly [number, number];
}

/**
 * The Open Inference Protocol tensor datatypes serving can carry to and from onnxruntime (BF16 has
 * no onnxruntime JS type): the one table every datatype list and union in serving derives from.
 */
const table = [
  { datatype: 'BOOL', ortType: 'bool', byteSize: 1, contents: 'boolContents', array: Uint8Array },
  {
    datatype: 'UINT8',
    ortType: 'uint8',
    byteSize: 1,
    contents: 'uintContents',
    array: Uint8Array,
    range: [0, 0xff],
  },
  {
    datatype: 'UINT16',
    ortType: 'uint16',
    byteSize: 2,
    contents: 'uintContents',
    array: Uint16Array,
    range: [0, 0xffff],
  },
  { datatype: 'UINT32', ortType: 'uint32', byteSize: 4, contents: 'uintContents', array: Uint32Array },
  { datatype: 'UINT64', ortType: 'uint64', byteSize: 8, contents: 'uint64Contents', array: BigUint64Array },
  {
    datatype: 'INT8',
    ortType: 'int8',
    byteSize: 1,
    contents: 'intContents',
    array: Int8Array,
    range: [-0x80, 0x7f],
  },
  {
    datatype: 'INT16',
    ortType: 'int16',
    byteSize: 2,
    contents: 'intContents',
    array: Int16Array,
    range: [-0x8000, 0x7fff],
  },
  { datatype: 'INT32', ortType: 'int32', byteSize: 4, contents: 'intContents', array: Int32Array },
  { datatype: 'INT64', ortType: 'int64', byteSize: 8, contents: 'int64Contents', array: BigInt64Array },
  { datatype: 'FP16', ortType: 'float16', byteSize: 2, contents: undefined, array: Uint16Array },
  { datatype: 'FP32', ortType: 'float32', byteSize: 4, contents: 'fp32Contents', array: Float32Array },
  { datatype: 'FP64', ortType: 'float64', byteSize: 8, contents: 'fp64Contents', array: Float64Array },
  { datatype: 'BYTES', ortType: 'string', byteSize: 0, contents: 'bytesContents', array: undefined },
] as const satisfies readonly DatatypeRow[];

/** An OIP datatype serving carries (a row of the table). */
export type OipDatatype = (typeof table)[number]['datatype'];

/** What serving needs to know about one datatype. */
export interface DatatypeInfo extends DatatypeRow {
  readonly datatype: OipDatatype;
  readonly ortType: OrtType;
}

/** Every datatype serving carries, in the table's order. */
export const oipDatatypes: readonly OipDatatype[] = table.map((info) => info.datatype);

const byDatatype = new Map<string, DatatypeInfo>(table.map((info) => [info.datatype, info]));
const byOrtType = new Map<string, DatatypeInfo>(table.map((info) => [info.ortType, info]));

/** The info of an OIP datatype string, or undefined when serving cannot carry it. */
export function datatypeInfo(datatype: string): DatatypeInfo | undefined {
  return byDatatype.get(datatype);
}

/** The OIP datatype of an onnxruntime tensor type, or undefined when OIP (or serving) cannot carry it. */
export function datatypeOfOrtType(ortType: string): OipDatatype | undefined {
  return byOrtType.get(ortType)?.datatype;
}

/** The info of a datatype known to be supported. */
export function infoOf(datatype: OipDatatype): DatatypeInfo {
  return byDatatype.get(datatype)!;
}
