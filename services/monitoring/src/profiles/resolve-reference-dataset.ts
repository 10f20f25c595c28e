import { isSha256, parseBlobUri } from '@flywheel/blobs';
import { AppError, isAppError } from '@flywheel/core';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { RpcClient } from '@flywheel/rpc';
import { featureOfColumn } from './profile-dataset.ts';

/** The feature-store client monitoring uses (GetTrainingSet only). */
export type FeatureStoreClient = Pick<RpcClient<(typeof FeatureStoreService)['method']>, 'getTrainingSet'>;

/** A dataset to profile, located in the shared blob store. */
export interface ReferenceDataset {
  /** What the profile records as its source: the training set id or the blob URI. */
  sourceRef: string;
  sha256: string;
  format: DatasetFormat;
  /** The column list when known up front (training sets). */
  columns?: string[];
  /** Views a training set's features come from: their columns are model inputs, the others pass-through. */
  featureViews?: Set<string>;
}

/**
 * Where the data behind `ref` lives: a `blob:sha256:<hex>` URI is read as is (in `format`); any
 * other ref is a feature-store training set id, looked up with GetTrainingSet on the feature
 * store. Throws `invalid_argument` (naming `field`) for an empty ref, `not_found` when the
 * feature store has no such training set, `failed_precondition` when the training set names no
 * blob this store can read, and the feature store's own errors (e.g. `unavailable`, retriable).
 */
export async function resolveReferenceDataset(
  ref: string,
  format: DatasetFormat,
  deps: { featureStore: FeatureStoreClient; signal: AbortSignal; field: string },
): Promise<ReferenceDataset> {
  if (ref === '') throw AppError.invalidArgument(deps.field, 'must name a training set id or a blob URI');
  if (ref.startsWith('blob:')) return { sourceRef: ref, sha256: parseBlobUri(ref, deps.field), format };
  let response: Awaited<ReturnType<FeatureStoreClient['getTrainingSet']>>;
  try {
    response = await deps.featureStore.getTrainingSet({ trainingSetId: ref }, { signal: deps.signal });
  } catch (error) {
    if (isAppError(error, 'not_found')) {
      throw new AppError('not_found', `the feature store has no training set "${ref}"`, {
        field: deps.field,
        cause: error,
      });
    }
    throw error;
  }
  const trainingSet = response.trainingSet;
  const blob = trainingSet?.blob;
  const fromUri = blob?.uri.startsWith('blob:') ? parseBlobUri(blob.uri, 'training_set.blob.uri') : undefined;
  const sha256 = fromUri ?? (blob && isSha256(blob.sha256) ? blob.sha256 : undefined);
  if (!trainingSet || !sha256) {
    throw new AppError('failed_precondition', `training set "${ref}" names no blob in the shared blob store`);
  }
  if (fromUri && blob?.sha256 && blob.sha256 !== fromUri) {
    throw new AppError(
      'data_loss',
      `training set "${ref}" names blob ${blob.uri} with a different sha256 ${blob.sha256}`,
    );
  }
  const featureViews = new Set<string>();
  for (const reference of trainingSet.features) {
    const { view } = featureOfColumn(reference);
    if (view) featureViews.add(view);
  }
  return {
    sourceRef: ref,
    sha256,
    format: trainingSet.format === DatasetFormat.UNSPECIFIED ? DatasetFormat.JSONL : trainingSet.format,
    ...(trainingSet.columns.length > 0 ? { columns: [...trainingSet.columns] } : {}),
    featureViews,
  };
}
