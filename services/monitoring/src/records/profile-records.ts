import type { FeatureKindName, FeatureSourceName } from './monitor-records.ts';

export interface NumericProfileRecord {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  stddev: number;
  /** n + 1 ascending edges of n equal-frequency bins (first and last open-ended). */
  binEdges: number[];
  binCounts: number[];
  /** 101 evenly spaced quantiles, q0 … q1. */
  quantiles: number[];
  /** An ascending sample of at most `referenceSampleSize` values standing for the data (KS, Wasserstein). */
  sample: number[];
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
  createTime: string;
}

export const profilesCollection = { name: 'reference-profiles', indexes: ['modelName'] } as const;

/** Document id of a version's profile: one per (model, version). */
export function profileDocId(modelName: string, modelVersion: number): string {
  return `${modelName}@${modelVersion}`;
}

/** The category rare values are folded into beyond the cap. */
export const otherCategory = '__other__';
