import type { FeatureKindName, FeatureSourceName } from './monitor-records.ts';

export interface NumericProfileRecord {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  stddev: number;
  /**
   * n + 1 ascending edges of n bins (first and last open-ended): equal-frequency, or one bin per
   * value and per gap when the reference has at most `bins` distinct values (`referenceBinEdges`).
   */
  binEdges: number[];
  binCounts: number[];
  /** 101 evenly spaced quantiles, q0 … q1. */
  quantiles: number[];
  /**
   * Ascending values standing for the data (KS, Wasserstein): the data itself up to the sample
   * size, else block means (see `sampleKind`). Empty when the profile came without data (set
   * through the API from bins or quantiles): KS and Wasserstein are then refused.
   */
  sample: number[];
  /**
   * What `sample` is: `exact` (the data), `block-means` (a summary, KS within 1/size + 1/count,
   * Wasserstein within `sampleWassersteinError`), `none` (no data). Absent in profiles stored
   * before it existed, whose sample was drawn from quantiles: treated as `none`.
   */
  sampleKind?: 'exact' | 'block-means' | 'none';
  /** W1 between the data and `sample` (0 when exact). */
  sampleWassersteinError?: number;
}

export interface CategoricalProfileRecord {
  /** Category → count; rare ones beyond the cap folded into `__other__`. */
  counts: Record<string, number>;
}

export interface FeatureProfileRecord {
  name: string;
  kind: FeatureKindName;
  source: FeatureSourceName;
  count: number;
  missingCount: number;
  numeric?: NumericProfileRecord;
  categorical?: CategoricalProfileRecord;
}

/** A model version's reference profile as stored in `reference-profiles`, id = `profileDocId`. */
export interface ReferenceProfileRecord {
  id: string;
  modelName: string;
  modelVersion: number;
  sourceRef: string;
  features: FeatureProfileRecord[];
  /** The reference of each segment of the monitors' slices (absent: none). */
  segments?: SegmentProfileRecord[];
  /** Monitored columns the profile could not cover, and why (absent: none). */
  unprofiled?: UnprofiledFeatureRecord[];
  createTime: string;
}

/** The profile of the reference rows in one segment. */
export interface SegmentProfileRecord {
  segment: string;
  /** Reference rows in the segment. */
  rows: number;
  features: FeatureProfileRecord[];
}

export interface UnprofiledFeatureRecord {
  name: string;
  source: FeatureSourceName;
  reason: string;
}

export const profilesCollection = { name: 'reference-profiles', indexes: ['modelName'] } as const;

/** Document id of a version's profile: one per (model, version). */
export function profileDocId(modelName: string, modelVersion: number): string {
  return `${modelName}@${modelVersion}`;
}

/** The category rare values are folded into beyond the cap. */
export const otherCategory = '__other__';
