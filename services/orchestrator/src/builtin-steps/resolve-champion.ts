import { AppError, isAppError } from '@flywheel/core';
import type { RegistryClient } from './builtin-step-deps.ts';

/** The version an alias points at, with its artifact's digest. */
export interface AliasedVersion {
  readonly version: number;
  readonly artifactSha256: string;
}

/**
 * Resolves `models:/<model>@<alias>` through the registry; undefined when the model or the alias
 * does not exist (NOT_FOUND), i.e. there is no champion yet.
 *
 * @throws the registry's other errors as they come (unavailable is retriable).
 */
export async function resolveAliasedVersion(
  registry: RegistryClient,
  modelName: string,
  alias: string,
  signal: AbortSignal,
): Promise<AliasedVersion | undefined> {
  try {
    const { version } = await registry.resolveModelUri({ uri: `models:/${modelName}@${alias}` }, { signal });
    if (version === undefined) return undefined;
    return { version: Number(version.version), artifactSha256: version.artifact?.blob?.sha256 ?? '' };
  } catch (error) {
    if (isAppError(error, 'not_found')) return undefined;
    throw error;
  }
}

/** A registered version a model URI names, with what a warm start needs of it. */
export interface ReferencedVersion {
  readonly modelName: string;
  readonly version: number;
  readonly artifactSha256: string;
  /** Its lineage `training_set_ref`: the feature-store training set it was trained on ("ts_…"), or "". */
  readonly trainingSetRef: string;
}

/**
 * Resolves a model URI (`models:/<model>@<alias>` or `models:/<model>/<version>`) through the
 * registry; undefined when the model, the alias or the version does not exist (NOT_FOUND).
 *
 * @throws invalid_argument under `field` for a string that is not a model URI; the registry's other errors as they come.
 */
export async function resolveModelRef(
  registry: RegistryClient,
  uri: string,
  field: string,
  signal: AbortSignal,
): Promise<ReferencedVersion | undefined> {
  if (!/^models:\/[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9._-]+|\/[1-9][0-9]*)$/.test(uri)) {
    throw AppError.invalidArgument(
      field,
      `must be a model URI, models:/<model>@<alias> or models:/<model>/<version>; got "${uri}"`,
    );
  }
  try {
    const { version } = await registry.resolveModelUri({ uri }, { signal });
    if (version === undefined) return undefined;
    return {
      modelName: version.modelName,
      version: Number(version.version),
      artifactSha256: version.artifact?.blob?.sha256 ?? '',
      trainingSetRef: version.lineage?.trainingSetRef ?? '',
    };
  } catch (error) {
    if (isAppError(error, 'not_found')) return undefined;
    throw error;
  }
}
