import { AppError } from '@flywheel/core';
import { type Value, ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { checkValue, type KeyScalar, parseCell, typeName } from './feature-values.ts';
import type { JoinKeyRecord } from './feature-view-records.ts';

/** The identity of an entity within a view: its join key values, in join key order, as JSON text. */
export function keyIdOf(key: readonly KeyScalar[]): string {
  return JSON.stringify(key);
}

function asKey(stored: unknown, joinKey: JoinKeyRecord, field: string): KeyScalar {
  if (stored === null)
    throw AppError.invalidArgument(field, `is required: a ${typeName(joinKey.valueType)} join key`);
  return stored as KeyScalar;
}

/** A wire join key value normalized to the key's type; `invalid_argument` naming `field` when missing or mistyped. */
export function keyFromValue(value: Value | undefined, joinKey: JoinKeyRecord, field: string): KeyScalar {
  return asKey(checkValue(value, joinKey.valueType, field), joinKey, field);
}

/** A dataset cell normalized to the key's type; `invalid_argument` naming `field` when missing or mistyped. */
export function keyFromCell(raw: unknown, joinKey: JoinKeyRecord, field: string): KeyScalar {
  return asKey(parseCell(raw, joinKey.valueType, field), joinKey, field);
}

/** The join key whose type accepts the values of both declarations, or undefined when they conflict. */
export function mergeKeyTypes(a: ValueType, b: ValueType): ValueType | undefined {
  if (a === b) return a;
  const ints: readonly ValueType[] = [ValueType.INT32, ValueType.INT64];
  if (ints.includes(a) && ints.includes(b)) return ValueType.INT64;
  return undefined;
}
