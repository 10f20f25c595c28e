import { AppError } from '@flywheel/core';
import { readModel } from '../records/read-model.ts';
import type { PrincipalRecord, RegistryCollections } from '../records/registry-records.ts';
import { retryOnConflict } from '../records/retry-on-conflict.ts';
import type { AliasChangeResult } from './set-alias.ts';
import { writeAliasChange } from './write-alias-change.ts';

/**
 * DeleteAlias: removes `alias` and emits `model.alias-changed` with model_version 0 and the
 * version it pointed at as previous_version (same write). Throws `not_found` for an unknown model
 * or an alias it does not have.
 */
export function createDeleteAlias(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function deleteAlias(
    input: { modelName: string; alias: string; reason: string },
    principal: PrincipalRecord,
    signal: AbortSignal,
  ): Promise<AliasChangeResult> {
    return retryOnConflict(
      `delete alias "${input.alias}" of model "${input.modelName}"`,
      signal,
      async () => {
        const model = await readModel(collections, input.modelName, signal);
        if (!model.data.aliases.some(([alias]) => alias === input.alias)) {
          throw new AppError('not_found', `model "${input.modelName}" has no alias "${input.alias}"`);
        }
        return writeAliasChange(
          collections,
          model,
          { alias: input.alias, toVersion: 0, reason: input.reason, principal },
          signal,
        );
      },
    );
  };
}
