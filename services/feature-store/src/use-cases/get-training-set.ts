import { AppError, type CallOptions } from '@flywheel/core';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { TrainingSetRecord } from '../storage/training-set-records.ts';

/** The training set `id`; `not_found` naming `training_set_id` when there is none. */
export async function getTrainingSet(
  collections: FeatureStoreCollections,
  id: string,
  options: CallOptions = {},
): Promise<TrainingSetRecord> {
  const doc = await collections.trainingSets.get(id, options);
  if (!doc) throw new AppError('not_found', `training set "${id}" not found`, { field: 'training_set_id' });
  return doc.data;
}
