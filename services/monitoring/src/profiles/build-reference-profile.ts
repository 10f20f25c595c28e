import type { HandlerContext } from '@flywheel/bus';
import { isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ModelVersionRegisteredSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { profileDocId } from '../records/profile-records.ts';
import { newProfileRecord, profileReferenceDataset, type ReferenceProfileDeps } from './profile-reference.ts';
import { resolveReferenceDataset } from './resolve-reference-dataset.ts';
import { wantedColumnsOf } from './wanted-columns.ts';

/**
 * Handles `model.version-registered`: when the version has no reference profile yet, builds one
 * from its lineage's `training_set_ref` — the feature store's GetTrainingSet names the JSON Lines
 * blob, read verified from the shared blob store — over the columns of the signature's inputs
 * (`<view>:<feature>` → feature; label pass-through columns are not inputs) and of the model's
 * monitors; then evaluates windows of the version that waited for it. A version without a
 * training set ref is skipped with a log. Idempotent: an existing profile is kept (create-only
 * write). Errors: the feature store's (`unavailable` is retried), `not_found` for an unknown
 * training set or blob and `invalid_argument` for a bad payload (both → DLQ).
 */
export function createBuildReferenceProfile(deps: ReferenceProfileDeps) {
  const { collections, log } = deps;
  const now = deps.now ?? (() => new Date());
  return async function buildReferenceProfile(event: CloudEvent, context: HandlerContext): Promise<void> {
    const { signal } = context;
    const registered = decodeEvent(ModelVersionRegisteredSchema, event);
    const modelName = registered.modelName;
    const modelVersion = Number(registered.modelVersion);
    const id = profileDocId(modelName, modelVersion);
    if (await collections.profiles.get(id, { signal })) {
      log.debug('reference profile already set', { model: modelName, version: modelVersion });
      return;
    }
    const ref = registered.lineage?.trainingSetRef ?? '';
    if (!ref) {
      log.warn('registered version has no training set ref: no reference profile built', {
        model: modelName,
        version: modelVersion,
      });
      return;
    }
    const dataset = await resolveReferenceDataset(ref, DatasetFormat.UNSPECIFIED, {
      featureStore: deps.featureStore,
      signal,
      field: 'lineage.training_set_ref',
    });
    const wanted = await wantedColumnsOf(collections, modelName, registered.signature, signal);
    const features = await profileReferenceDataset(deps.blobs, dataset, wanted, {
      limits: deps.limits,
      signal,
    });
    if (features.length === 0) {
      log.warn('training set has none of the model inputs: no reference profile built', {
        model: modelName,
        version: modelVersion,
        trainingSet: ref,
        wanted: [...wanted.names],
      });
      return;
    }
    const record = newProfileRecord(modelName, modelVersion, dataset.sourceRef, features, now());
    try {
      await collections.profiles.put(id, record, { expectedVersion: 0, signal });
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
      log.debug('reference profile set meanwhile', { model: modelName, version: modelVersion });
      return;
    }
    log.info('reference profile built', {
      model: modelName,
      version: modelVersion,
      profile: record.id,
      trainingSet: ref,
      features: features.map((f) => `${f.name}:${f.kind}:${f.count}`),
    });
    await deps.evaluateVersionWindows(modelName, modelVersion, signal);
  };
}
