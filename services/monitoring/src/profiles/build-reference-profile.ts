import { isSha256, parseBlobUri } from '@flywheel/blobs';
import type { HandlerContext } from '@flywheel/bus';
import { isAppError } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import type { BlobRef } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
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
 * monitors — and of the model's outputs, computed by running the registered ONNX artifact over the
 * training rows in onnxruntime (a monitored output that cannot be computed is recorded in the
 * profile's `unprofiled` with the reason, and its windows report it untested) — per segment of
 * the monitors' slices too; then evaluates windows of the version that waited for it. A version without a
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
    // Prediction drift needs the model's predictions on its training set: the monitored outputs,
    // the outputs slices read, and the signature's float outputs (so a monitor created later finds them).
    const outputs = new Set([
      ...[...wanted.names].filter((name) => wanted.sources?.get(name) === 'output'),
      ...wanted.slices.filter((s) => s.source === 'output').map((s) => s.feature),
      ...(registered.signature?.outputs ?? [])
        .filter((o) => o.datatype === 'FP32' || o.datatype === 'FP64')
        .map((o) => o.name),
    ]);
    const monitoredOutputs = new Set(
      [...wanted.names].filter((name) => wanted.sources?.get(name) === 'output'),
    );
    const parts = await profileReferenceDataset(deps.blobs, dataset, wanted, {
      limits: deps.limits,
      signal,
      slices: wanted.slices,
      model: { artifactSha256: artifactShaOf(registered.artifact), outputs: [...outputs] },
    });
    const { features, segments } = parts;
    // Only what a monitor watches is worth reporting; a signature output it cannot score is not.
    const unprofiled = parts.unprofiled.filter((u) => monitoredOutputs.has(u.name));
    for (const u of unprofiled) {
      log.warn('monitored output has no reference', {
        model: modelName,
        version: modelVersion,
        output: u.name,
        reason: u.reason,
      });
    }
    if (features.length === 0) {
      log.warn('training set has none of the model inputs: no reference profile built', {
        model: modelName,
        version: modelVersion,
        trainingSet: ref,
        wanted: [...wanted.names],
      });
      return;
    }
    const record = newProfileRecord(modelName, modelVersion, dataset.sourceRef, features, now(), {
      segments,
      unprofiled,
    });
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
      features: features.map((f) => `${f.name}:${f.source}:${f.kind}:${f.count}`),
      segments: segments.map((s) => `${s.segment}:${s.rows}`),
    });
    await deps.evaluateVersionWindows(modelName, modelVersion, signal);
  };
}

/** The artifact's sha256 from its BlobRef (a `blob:sha256:` URI or the sha256 field); undefined when it names none. */
function artifactShaOf(artifact: BlobRef | undefined): string | undefined {
  if (!artifact) return undefined;
  if (artifact.uri.startsWith('blob:')) return parseBlobUri(artifact.uri, 'artifact.uri');
  return isSha256(artifact.sha256) ? artifact.sha256 : undefined;
}
