import { AppError } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { readModel, readVersion } from '../records/read-model.ts';
import type { ModelRecord, RegistryCollections, VersionRecord } from '../records/registry-records.ts';

// As the .proto's rule, and an alias is never all digits (SetAlias refuses those), so that
// `@1` is not mistaken for version 1.
const uriPattern = /^models:\/([a-z0-9][a-z0-9._-]*)(?:@((?![0-9]+$)[a-z0-9_-]+)|\/([1-9][0-9]*))$/;

/** What a `models:/` URI names: a model and either an alias or a version number. */
export type ModelUri = { modelName: string; alias: string } | { modelName: string; version: number };

/**
 * Parses `models:/<name>@<alias>` or `models:/<name>/<version>`; `invalid_argument` naming `uri`
 * for anything else.
 */
export function parseModelUri(uri: string): ModelUri {
  const match = uriPattern.exec(uri);
  const [, modelName, alias, version] = match ?? [];
  if (modelName && alias) return { modelName, alias };
  if (modelName && version && Number.isSafeInteger(Number(version))) {
    return { modelName, version: Number(version) };
  }
  throw AppError.invalidArgument(
    'uri',
    `must be models:/<name>@<alias> (not all digits) or models:/<name>/<version>, got "${uri}"`,
  );
}

/**
 * ResolveModelUri: the version a URI names now, with its artifact and signature. Throws
 * `invalid_argument` (field `uri`) for a malformed URI, `not_found` for an unknown model, alias
 * or version.
 */
export function createResolveModelUri(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function resolveModelUri(
    uri: string,
    signal: AbortSignal,
  ): Promise<{ model: Doc<ModelRecord>; version: VersionRecord; alias: string }> {
    const parsed = parseModelUri(uri);
    const model = await readModel(collections, parsed.modelName, signal);
    let number: number;
    let alias = '';
    if ('alias' in parsed) {
      alias = parsed.alias;
      const target = new Map(model.data.aliases).get(alias);
      if (target === undefined) {
        throw new AppError('not_found', `model "${model.id}" has no alias "${alias}"`);
      }
      number = target;
    } else {
      number = parsed.version;
    }
    const version = await readVersion(collections, model, number, signal);
    return { model, version: version.data, alias };
  };
}
