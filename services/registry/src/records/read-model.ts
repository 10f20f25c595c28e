import { AppError } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { materializeVersion } from './materialize-version.ts';
import {
  type ModelRecord,
  type RegistryCollections,
  type VersionRecord,
  versionId,
} from './registry-records.ts';

/** The model document, or NOT_FOUND naming the model. */
export async function readModel(
  collections: RegistryCollections,
  modelName: string,
  signal: AbortSignal,
): Promise<Doc<ModelRecord>> {
  const model = await collections.models.get(modelName, { signal });
  if (!model) throw new AppError('not_found', `model "${modelName}" does not exist`);
  return model;
}

/**
 * Version `version` of `model`, from its document; a version still only claimed on the model
 * document (its writer crashed or failed before writing it) is rolled forward first, so a reader
 * never sees a version whose event was not emitted. NOT_FOUND when the model has no such version.
 */
export async function readVersion(
  collections: RegistryCollections,
  model: Doc<ModelRecord>,
  version: number,
  signal: AbortSignal,
): Promise<Doc<VersionRecord>> {
  const id = versionId(model.id, version);
  if (version >= 1 && version <= model.data.latestVersion) {
    const stored = await collections.versions.get(id, { signal });
    if (stored) return stored;
    const claim = model.data.claims.find((c) => c.version === version);
    if (claim) {
      await materializeVersion(collections.versions, claim, signal);
      const written = await collections.versions.get(id, { signal });
      if (written) return written;
    }
    // Claims are dropped only once their document exists, so this is a store that lost a write.
    throw new AppError('data_loss', `model "${model.id}" version ${version} is missing from the store`);
  }
  throw new AppError('not_found', `model "${model.id}" has no version ${version}`);
}
