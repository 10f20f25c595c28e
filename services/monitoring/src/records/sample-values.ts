import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Value } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { FeatureKindName } from './monitor-records.ts';
import type { SampleValue } from './window-records.ts';

/** A scalar read from a dataset row or a logged prediction; lists and bytes read as null. */
export type Scalar = number | string | boolean | null;

/** The scalar a proto Value holds (int64 as a number, timestamps as epoch ms); null when unset or a list. */
export function scalarOfValue(value: Value | undefined): Scalar {
  const kind = value?.kind;
  switch (kind?.case) {
    case 'doubleValue':
    case 'floatValue':
    case 'int32Value':
      return kind.value;
    case 'int64Value':
      return Number(kind.value);
    case 'boolValue':
    case 'stringValue':
      return kind.value;
    case 'timestampValue':
      return timestampMs(kind.value);
    default:
      return null;
  }
}

/** A JSON value from a dataset row as a scalar; objects and arrays read as null. */
export function scalarOfJson(value: unknown): Scalar {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

/**
 * A scalar as a sample of a column of `kind`: numeric columns take finite numbers (booleans as
 * 0/1); categorical ones take strings, numbers and booleans as text. Anything else is missing.
 */
export function sampleOf(value: Scalar, kind: FeatureKindName): SampleValue {
  if (value === null) return null;
  if (kind === 'numeric') {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'boolean') return value ? 1 : 0;
    return null;
  }
  return String(value);
}

/** Numeric when every present value is a number, else categorical (strings, booleans). */
export function inferKind(values: Iterable<Scalar>): FeatureKindName {
  for (const value of values) {
    if (value !== null && typeof value !== 'number') return 'categorical';
  }
  return 'numeric';
}
