import type { KeyScalar, StoredValue } from '../values/feature-values.ts';

/** The latest value of one feature of one entity, with the event time it holds from (epoch ms). */
export interface OnlineValue {
  readonly value: StoredValue;
  readonly timeMs: number;
}

/**
 * One entity's latest values in one view: the online store, collection `online-values`, id
 * `<view>/<entity key>`. Each feature keeps its own event time, so a row that leaves a feature
 * out leaves it as it was, and an older row never replaces a newer value.
 */
export interface OnlineRecord {
  readonly view: string;
  /** Join key values in the view's join key order. */
  readonly key: readonly KeyScalar[];
  readonly features: Readonly<Record<string, OnlineValue>>;
}

/** Fields the `online-values` collection is queried by. */
export const onlineIndexes = ['view'] as const;
