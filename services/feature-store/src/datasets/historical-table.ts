import type { ResolvedFeature } from '../storage/feature-refs.ts';
import type { StoredValue } from '../values/feature-values.ts';
import type { FeatureViewRecord, JoinKeyRecord } from '../values/feature-view-records.ts';
import type { FrameRow } from './entity-dataframe.ts';

/** A point-in-time correct feature table, before it is encoded for the wire or a file. */
export interface HistoricalTable {
  /** Every join key the features need, with the type their values are normalized to. */
  readonly joinKeys: readonly JoinKeyRecord[];
  readonly passThrough: readonly string[];
  readonly features: readonly ResolvedFeature[];
  /** Join keys, `event_time`, pass-through columns, then features as `<view>:<feature>`. */
  readonly columns: readonly string[];
  /** One per entity row, in the frame's order. */
  readonly rows: readonly HistoricalTableRow[];
  /** Every view read (the features' and, for view_history, the frame's). */
  readonly views: readonly FeatureViewRecord[];
  /** Range of the frame's event times, epoch ms; null when it has no rows. */
  readonly minTimeMs: number | null;
  readonly maxTimeMs: number | null;
}

export interface HistoricalTableRow {
  readonly frame: FrameRow;
  /** Aligned with {@link HistoricalTable.features}; null where no value qualifies. */
  readonly features: readonly StoredValue[];
}
