import { create } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import { type Value, ValueSchema, ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { isoOf, parseEventTime, toTimestamp, valueTimeMs } from './event-times.ts';

/**
 * A typed value as the feature store keeps it (documents, offline chunks, training-set files):
 * plain JSON, read back through the declared {@link ValueType}. STRING → string, BYTES → base64,
 * INT32/FLOAT/DOUBLE → number, INT64 → number (decimal string beyond 2^53), BOOL → boolean,
 * TIMESTAMP → RFC 3339 string, lists → arrays of those; null is a missing value.
 */
export type StoredValue = string | number | boolean | null | StoredScalar[];
type StoredScalar = string | number | boolean;

/** The value of one join key, normalized to the key's declared type (STRING, INT32 or INT64). */
export type KeyScalar = string | number;

const known = new Set<number>(
  Object.values(ValueType).filter((v): v is number => typeof v === 'number' && v !== ValueType.UNSPECIFIED),
);
const keyTypes = new Set<number>([ValueType.STRING, ValueType.INT32, ValueType.INT64]);

/** `DOUBLE` for ValueType.DOUBLE; the number for an unknown value. */
export function typeName(type: ValueType): string {
  return ValueType[type] ?? String(type);
}

/** True for a ValueType this server knows (not UNSPECIFIED). */
export function isKnownValueType(type: number): type is ValueType {
  return known.has(type);
}

/** True for the types a join key may have: STRING, INT32, INT64. */
export function isKeyType(type: ValueType): boolean {
  return keyTypes.has(type);
}

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

function storeInt64(value: bigint): number | string {
  return value >= -safeMax && value <= safeMax ? Number(value) : value.toString();
}

function finite(value: number, field: string): number {
  if (!Number.isFinite(value)) throw AppError.invalidArgument(field, `must be a finite number, got ${value}`);
  return value;
}

function mismatch(field: string, type: ValueType, got: string): AppError {
  return AppError.invalidArgument(field, `expected ${typeName(type)}, got ${got}`);
}

const caseName: Readonly<Record<string, string>> = {
  stringValue: 'string_value',
  bytesValue: 'bytes_value',
  int32Value: 'int32_value',
  int64Value: 'int64_value',
  floatValue: 'float_value',
  doubleValue: 'double_value',
  boolValue: 'bool_value',
  timestampValue: 'timestamp_value',
  stringListValue: 'string_list_value',
  int64ListValue: 'int64_list_value',
  floatListValue: 'float_list_value',
  doubleListValue: 'double_list_value',
  boolListValue: 'bool_list_value',
};

/**
 * Checks a wire value against a declared type and returns its stored form; an unset value is
 * null. Lossless widenings are accepted (INT32 into INT64, FLOAT or DOUBLE; INT64 into DOUBLE
 * within 2^53; FLOAT into DOUBLE; an INT64 list for a DOUBLE/FLOAT list is not). Throws
 * `invalid_argument` naming `field`: `rows[0].values.temp_max: expected DOUBLE, got string_value`.
 */
export function checkValue(value: Value | undefined, type: ValueType, field: string): StoredValue {
  const kind = value?.kind;
  if (!kind || kind.case === undefined) return null;
  const got = caseName[kind.case] ?? kind.case;
  switch (type) {
    case ValueType.STRING:
      if (kind.case === 'stringValue') return kind.value;
      break;
    case ValueType.BYTES:
      if (kind.case === 'bytesValue') return Buffer.from(kind.value).toString('base64');
      break;
    case ValueType.INT32:
      if (kind.case === 'int32Value') return kind.value;
      if (kind.case === 'int64Value' && kind.value >= BigInt(int32Min) && kind.value <= BigInt(int32Max))
        return Number(kind.value);
      break;
    case ValueType.INT64:
      if (kind.case === 'int64Value') return storeInt64(kind.value);
      if (kind.case === 'int32Value') return kind.value;
      break;
    case ValueType.FLOAT:
    case ValueType.DOUBLE:
      if (kind.case === 'doubleValue' || kind.case === 'floatValue' || kind.case === 'int32Value')
        return finite(kind.value, field);
      if (kind.case === 'int64Value' && kind.value >= -safeMax && kind.value <= safeMax)
        return Number(kind.value);
      break;
    case ValueType.BOOL:
      if (kind.case === 'boolValue') return kind.value;
      break;
    case ValueType.TIMESTAMP:
      if (kind.case === 'timestampValue') return isoOf(valueTimeMs(kind.value));
      break;
    case ValueType.STRING_LIST:
      if (kind.case === 'stringListValue') return [...kind.value.values];
      break;
    case ValueType.INT64_LIST:
      if (kind.case === 'int64ListValue') return kind.value.values.map(storeInt64);
      break;
    case ValueType.FLOAT_LIST:
    case ValueType.DOUBLE_LIST:
      if (kind.case === 'floatListValue' || kind.case === 'doubleListValue')
        return kind.value.values.map((v, i) => finite(v, `${field}[${i}]`));
      break;
    case ValueType.BOOL_LIST:
      if (kind.case === 'boolListValue') return [...kind.value.values];
      break;
  }
  throw mismatch(field, type, got);
}

/** The wire value of a stored value of `type`; null is the unset Value. */
export function toValue(stored: StoredValue | undefined, type: ValueType): Value {
  if (stored === null || stored === undefined) return create(ValueSchema);
  switch (type) {
    case ValueType.STRING:
      return create(ValueSchema, { kind: { case: 'stringValue', value: String(stored) } });
    case ValueType.BYTES:
      return create(ValueSchema, {
        kind: { case: 'bytesValue', value: new Uint8Array(Buffer.from(String(stored), 'base64')) },
      });
    case ValueType.INT32:
      return create(ValueSchema, { kind: { case: 'int32Value', value: Number(stored) } });
    case ValueType.INT64:
      return create(ValueSchema, { kind: { case: 'int64Value', value: BigInt(stored as number | string) } });
    case ValueType.FLOAT:
      return create(ValueSchema, { kind: { case: 'floatValue', value: Number(stored) } });
    case ValueType.DOUBLE:
      return create(ValueSchema, { kind: { case: 'doubleValue', value: Number(stored) } });
    case ValueType.BOOL:
      return create(ValueSchema, { kind: { case: 'boolValue', value: Boolean(stored) } });
    case ValueType.TIMESTAMP:
      return create(ValueSchema, {
        kind: { case: 'timestampValue', value: toTimestamp(Date.parse(String(stored))) },
      });
    case ValueType.STRING_LIST:
      return create(ValueSchema, {
        kind: { case: 'stringListValue', value: { values: list(stored).map(String) } },
      });
    case ValueType.INT64_LIST:
      return create(ValueSchema, {
        kind: {
          case: 'int64ListValue',
          value: { values: list(stored).map((v) => BigInt(v as number | string)) },
        },
      });
    case ValueType.FLOAT_LIST:
      return create(ValueSchema, {
        kind: { case: 'floatListValue', value: { values: list(stored).map(Number) } },
      });
    case ValueType.DOUBLE_LIST:
      return create(ValueSchema, {
        kind: { case: 'doubleListValue', value: { values: list(stored).map(Number) } },
      });
    case ValueType.BOOL_LIST:
      return create(ValueSchema, {
        kind: { case: 'boolListValue', value: { values: list(stored).map(Boolean) } },
      });
    default:
      return create(ValueSchema);
  }
}

function list(stored: StoredValue): StoredScalar[] {
  return Array.isArray(stored) ? stored : [stored as StoredScalar];
}

const integerText = /^[-+]?\d+$/;
const numberText = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Reads a dataset cell (a JSON value, or CSV text) as `type`, returning its stored form; null and
 * undefined are null. Numbers may come as numeric text, booleans as `true`/`false`/`1`/`0`, lists
 * as JSON arrays (or JSON text of one). Throws `invalid_argument` naming `field`.
 */
export function parseCell(raw: unknown, type: ValueType, field: string): StoredValue {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case ValueType.STRING:
      if (typeof raw === 'string') return raw;
      break;
    case ValueType.BYTES:
      if (typeof raw === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(raw)) return raw;
      break;
    case ValueType.INT32: {
      const n = integerOf(raw);
      if (n !== undefined && n >= BigInt(int32Min) && n <= BigInt(int32Max)) return Number(n);
      break;
    }
    case ValueType.INT64: {
      const n = integerOf(raw);
      if (n !== undefined && n >= int64Min && n <= int64Max) return storeInt64(n);
      break;
    }
    case ValueType.FLOAT:
    case ValueType.DOUBLE: {
      const n = numberOf(raw);
      if (n !== undefined) return n;
      break;
    }
    case ValueType.BOOL:
      if (typeof raw === 'boolean') return raw;
      if (raw === 1 || raw === 0) return raw === 1;
      if (typeof raw === 'string' && /^(true|false|1|0)$/i.test(raw.trim()))
        return /^(true|1)$/i.test(raw.trim());
      break;
    case ValueType.TIMESTAMP:
      if (typeof raw === 'string') return isoOf(parseEventTime(raw, field, 'up'));
      break;
    case ValueType.STRING_LIST:
    case ValueType.INT64_LIST:
    case ValueType.FLOAT_LIST:
    case ValueType.DOUBLE_LIST:
    case ValueType.BOOL_LIST: {
      const items = arrayOf(raw);
      if (items === undefined) break;
      const element = listElementType(type);
      return items.map((item, i) => {
        const parsed = parseCell(item, element, `${field}[${i}]`);
        if (parsed === null || Array.isArray(parsed))
          throw AppError.invalidArgument(`${field}[${i}]`, `expected ${typeName(element)}, got null`);
        return parsed;
      });
    }
  }
  throw AppError.invalidArgument(field, `expected ${typeName(type)}, got ${JSON.stringify(raw)}`);
}

function listElementType(type: ValueType): ValueType {
  switch (type) {
    case ValueType.STRING_LIST:
      return ValueType.STRING;
    case ValueType.INT64_LIST:
      return ValueType.INT64;
    case ValueType.BOOL_LIST:
      return ValueType.BOOL;
    default:
      return ValueType.DOUBLE;
  }
}

function integerOf(raw: unknown): bigint | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? BigInt(raw) : undefined;
  if (typeof raw === 'string' && integerText.test(raw.trim())) return BigInt(raw.trim());
  return undefined;
}

function numberOf(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && numberText.test(raw.trim())) {
    const n = Number(raw.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function arrayOf(raw: unknown): unknown[] | undefined {
  if (Array.isArray(raw)) return raw;
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The wire value of an untyped dataset cell (a pass-through column): strings stay strings unless
 * they are numeric CSV text (`csv`), numbers become DOUBLE, booleans BOOL, arrays of one kind the
 * matching list, anything else its JSON text; null is the unset Value.
 */
export function inferValue(raw: unknown, csv: boolean): Value {
  if (raw === null || raw === undefined) return create(ValueSchema);
  if (typeof raw === 'string') {
    const n = csv ? numberOf(raw) : undefined;
    return n === undefined
      ? create(ValueSchema, { kind: { case: 'stringValue', value: raw } })
      : create(ValueSchema, { kind: { case: 'doubleValue', value: n } });
  }
  if (typeof raw === 'number') return create(ValueSchema, { kind: { case: 'doubleValue', value: raw } });
  if (typeof raw === 'boolean') return create(ValueSchema, { kind: { case: 'boolValue', value: raw } });
  if (Array.isArray(raw)) {
    if (raw.every((v) => typeof v === 'string'))
      return create(ValueSchema, { kind: { case: 'stringListValue', value: { values: raw } } });
    if (raw.every((v) => typeof v === 'number'))
      return create(ValueSchema, { kind: { case: 'doubleListValue', value: { values: raw } } });
    if (raw.every((v) => typeof v === 'boolean'))
      return create(ValueSchema, { kind: { case: 'boolListValue', value: { values: raw } } });
  }
  return create(ValueSchema, { kind: { case: 'stringValue', value: JSON.stringify(raw) } });
}

/** A JSON value for a training-set file: the stored form of the value's own type; null when unset or not finite. */
export function jsonOfValue(value: Value): StoredValue {
  const kind = value.kind;
  switch (kind.case) {
    case undefined:
      return null;
    case 'stringValue':
    case 'boolValue':
      return kind.value;
    case 'int32Value':
      return kind.value;
    case 'floatValue':
    case 'doubleValue':
      return Number.isFinite(kind.value) ? kind.value : null;
    case 'bytesValue':
      return Buffer.from(kind.value).toString('base64');
    case 'int64Value':
      return storeInt64(kind.value);
    case 'timestampValue':
      return isoOf(valueTimeMs(kind.value));
    case 'stringListValue':
    case 'boolListValue':
      return [...kind.value.values];
    case 'int64ListValue':
      return kind.value.values.map(storeInt64);
    case 'floatListValue':
    case 'doubleListValue':
      // JSON has no NaN or Infinity: JSON.stringify writes those elements as null.
      return [...kind.value.values];
  }
}
