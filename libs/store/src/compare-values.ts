import type { Scalar } from './document-store.ts';

// MongoDB's order of BSON types, restricted to what documents hold: missing and null first, then
// numbers, strings, objects, arrays, booleans. The embedded adapter sorts like the mongo adapter.
function typeRank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  switch (typeof value) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    default:
      return Array.isArray(value) ? 4 : 3;
  }
}

/** Compares strings by Unicode code point (= UTF-8 byte order, as MongoDB's binary collation). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** Orders two field values the way a MongoDB sort on that field does (arrays aside). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return 0;
}

/** The equality keys a field value is found under: itself when scalar, each scalar element of an array. */
export function indexKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => (isScalar(item) ? [scalarKey(item)] : []));
  return isScalar(value) ? [scalarKey(value)] : [];
}

/** A string that equals another's exactly when the scalars are equal (type included). */
export function scalarKey(value: Scalar): string {
  return `${typeof value}:${String(value)}`;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * Whether `value` meets one range bound, MongoDB style: only values of the bound's type compare
 * (a string never meets a numeric bound); an array meets it when one of its elements does.
 */
export function meetsBound(value: unknown, operator: 'gt' | 'gte' | 'lt' | 'lte', bound: Scalar): boolean {
  if (Array.isArray(value)) return value.some((item) => meetsBound(item, operator, bound));
  if (typeof value !== typeof bound) return false;
  const order = compareValues(value, bound);
  switch (operator) {
    case 'gt':
      return order > 0;
    case 'gte':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'lte':
      return order <= 0;
  }
}
