import { isAppError } from '@flywheel/core';
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
