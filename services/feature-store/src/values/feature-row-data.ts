import type { KeyScalar, StoredValue } from './feature-values.ts';

/** One validated row of a view: entity key, event time (epoch ms) and the features it sets. */
export interface FeatureRowData {
  readonly key: readonly KeyScalar[];
  readonly timeMs: number;
  /** Only the features the row sets; a null value is an explicit null. */
  readonly values: Readonly<Record<string, StoredValue>>;
}

/**
 * `values` as an object V8 keeps in fast mode. One built a property at a time with computed names
 * turns into a dictionary past a dozen properties, and every later walk of it (chunk columns,
 * latest per entity, expectations) then costs several times as much: a spread copies it into a
 * fresh object with a shared hidden class (rows with the same features in the same order share it).
 */
export function fastValues(values: Record<string, StoredValue>): Record<string, StoredValue> {
  return { ...values };
}
