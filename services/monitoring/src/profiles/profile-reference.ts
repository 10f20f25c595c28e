import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@flywheel/blobs';
import type { Logger } from '@flywheel/core';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';
import type { FeatureProfileRecord, ReferenceProfileRecord } from '../records/profile-records.ts';
import type { ProfileLimits } from './feature-profile.ts';
import { type ProfileWanted, profileDataset } from './profile-dataset.ts';
import { readDatasetRows } from './read-dataset-rows.ts';
import type { FeatureStoreClient, ReferenceDataset } from './resolve-reference-dataset.ts';

/**
 * What both ways to a reference profile need: built when a version is registered
 * (`build-reference-profile.ts`) or set through the API (`set-reference-profile.ts`).
 */
export interface ReferenceProfileDeps {
  collections: MonitoringCollections;
  blobs: BlobStore;
  featureStore: FeatureStoreClient;
  limits: Required<ProfileLimits>;
  log: Logger;
  /** Evaluates the windows of the version that waited for a profile. */
  evaluateVersionWindows(modelName: string, modelVersion: number, signal: AbortSignal): Promise<void>;
  now?: () => Date;
}

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
