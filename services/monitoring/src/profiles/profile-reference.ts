import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@flywheel/blobs';
import type { FeatureProfileRecord, ReferenceProfileRecord } from '../records/profile-records.ts';
import type { ProfileLimits } from './feature-profile.ts';
import { type ProfileWanted, profileDataset } from './profile-dataset.ts';
import { readDatasetRows } from './read-dataset-rows.ts';
import type { ReferenceDataset } from './resolve-reference-dataset.ts';

/** Reads a reference dataset from the blob store (verified) and profiles the wanted columns. */
export async function profileReferenceDataset(
  blobs: BlobStore,
  dataset: ReferenceDataset,
  wanted: ProfileWanted,
  options: { limits: ProfileLimits; signal: AbortSignal },
): Promise<FeatureProfileRecord[]> {
  const rows = readDatasetRows(blobs, dataset.sha256, dataset.format, { signal: options.signal });
  return profileDataset(rows, {
    ...(dataset.columns ? { columns: dataset.columns } : {}),
    wanted: { ...wanted, ...(dataset.featureViews?.size ? { featureViews: dataset.featureViews } : {}) },
    limits: options.limits,
  });
}

/** A new profile record with a fresh id `rp_…`. */
export function newProfileRecord(
  modelName: string,
  modelVersion: number,
  sourceRef: string,
  features: FeatureProfileRecord[],
  now: Date,
): ReferenceProfileRecord {
  return {
    id: `rp_${randomUUID().replaceAll('-', '')}`,
    modelName,
    modelVersion,
    sourceRef,
    features,
    createTime: now.toISOString(),
  };
}
