import { AppError } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { readModel, readVersion } from '../records/read-model.ts';
import type {
  AliasChangeRecord,
  ModelRecord,
  PrincipalRecord,
  RegistryCollections,
} from '../records/registry-records.ts';
import { retryOnConflict } from '../records/retry-on-conflict.ts';
import { readAliasHistory } from './alias-history.ts';
import { writeAliasChange } from './write-alias-change.ts';

export interface SetAliasInput {
  modelName: string;
  alias: string;
  version: number;
  /** Compare-and-set: the version the alias must point at now (0 = must not exist). */
  expectedCurrentVersion: number | undefined;
  reason: string;
}

export interface AliasChangeResult {
  model: Doc<ModelRecord>;
  change: AliasChangeRecord;
}

/**
 * SetAlias: points `alias` at an existing version and emits `model.alias-changed` (same write).
 * An alias already at that version is left as it is and its last change returned, with no event:
 * a retried promotion succeeds instead of failing its own compare-and-set. Throws `not_found` for
 * an unknown model or version, `failed_precondition` when the alias is not at
 * `expectedCurrentVersion`.
 */
export function createSetAlias(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function setAlias(
    input: SetAliasInput,
    principal: PrincipalRecord,
    signal: AbortSignal,
  ): Promise<AliasChangeResult> {
    return retryOnConflict(`set alias "${input.alias}" of model "${input.modelName}"`, signal, async () => {
      const model = await readModel(collections, input.modelName, signal);
      await readVersion(collections, model, input.version, signal);
      const current = new Map(model.data.aliases).get(input.alias) ?? 0;
      if (current === input.version) {
        const { changes } = await readAliasHistory(
          collections,
          model.data,
          { alias: input.alias, limit: 1 },
          signal,
        );
        if (changes[0]) return { model, change: changes[0] };
      }
      const expected = input.expectedCurrentVersion;
      if (expected !== undefined && expected !== current) {
        throw new AppError(
          'failed_precondition',
          `expected_current_version: alias "${input.alias}" of model "${input.modelName}" ` +
            (current === 0 ? 'does not exist' : `points at version ${current}`) +
            `, expected ${expected === 0 ? 'no alias' : `version ${expected}`}`,
          { field: 'expected_current_version' },
        );
      }
      return writeAliasChange(
        collections,
        model,
        { alias: input.alias, toVersion: input.version, reason: input.reason, principal },
        signal,
      );
    });
  };
}
