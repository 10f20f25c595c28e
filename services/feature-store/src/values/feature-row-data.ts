import type { KeyScalar, StoredValue } from './feature-values.ts';

/** One validated row of a view: entity key, event time (epoch ms) and the features it sets. */
export interface FeatureRowData {
  readonly key: readonly KeyScalar[];
  readonly timeMs: number;
  /** Only the features the row sets; a null value is an explicit null. */
  readonly values: Readonly<Record<string, StoredValue>>;
}
