import type { Value } from '@flywheel/proto/flywheel/common/v1/value_pb.js';

/** A scalar `Value` as a number (bool as 0/1); undefined for text, bytes, lists and unset. */
export function numberOf(value: Value): number | undefined {
  switch (value.kind.case) {
    case 'doubleValue':
    case 'floatValue':
    case 'int32Value':
      return value.kind.value;
    case 'int64Value':
      return Number(value.kind.value);
    case 'boolValue':
      return value.kind.value ? 1 : 0;
    default:
      return undefined;
  }
}
