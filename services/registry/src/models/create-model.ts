import { AppError, isAppError } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import {
  type ModelRecord,
  newModelRecord,
  type Pairs,
  type PrincipalRecord,
  type RegistryCollections,
} from '../records/registry-records.ts';

export interface CreateModelInput {
  modelName: string;
  /** Empty: the caller's team. */
  team: string;
  description: string;
  labels: Pairs<string>;
}

/** CreateModel: a model with no versions yet, owned by `team`. Throws `already_exists` when the name is taken. */
export function createCreateModel(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function createModel(
    input: CreateModelInput,
    principal: PrincipalRecord,
    signal: AbortSignal,
  ): Promise<Doc<ModelRecord>> {
    const now = Date.now();
    const model = newModelRecord(
      {
        name: input.modelName,
        team: input.team || principal.team,
        description: input.description,
        labels: input.labels,
      },
      principal,
      now,
    );
    try {
      return await collections.models.put(input.modelName, model, { expectedVersion: 0, signal });
    } catch (thrown) {
      if (isAppError(thrown, 'already_exists')) {
        throw new AppError('already_exists', `model "${input.modelName}" already exists`, { cause: thrown });
      }
      throw thrown;
    }
  };
}
