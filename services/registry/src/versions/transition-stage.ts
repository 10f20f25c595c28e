import type { Doc } from '@flywheel/store';
import { readModel, readVersion } from '../records/read-model.ts';
import {
  type ModelRecord,
  type PrincipalRecord,
  type RegistryCollections,
  type StageChangeRecord,
  type StageName,
  type VersionRecord,
  versionId,
} from '../records/registry-records.ts';
import { retryOnConflict } from '../records/retry-on-conflict.ts';

export interface TransitionStageInput {
  modelName: string;
  version: number;
  stage: StageName;
  /** Moving to STAGING or PRODUCTION: archive the other versions in that stage. */
  archiveExistingVersions: boolean;
  /** Why; recorded in the version's stage history. */
  reason: string;
}

/**
 * TransitionStage (MLflow's optional workflow): moves a version to a stage, optionally archiving
 * the others in it. Each version document changes by compare-and-set, its stage-history entry (who,
 * when, why) in the same write; there is no event for stages (aliases are what serving follows).
 * Throws `not_found` for an unknown model or version.
 */
export function createTransitionStage(deps: { collections: RegistryCollections }) {
  const { collections } = deps;

  async function moveTo(
    model: Doc<ModelRecord>,
    version: number,
    stage: StageName,
    reason: string,
    principal: PrincipalRecord,
    signal: AbortSignal,
  ): Promise<VersionRecord> {
    return retryOnConflict(`move version ${version} of model "${model.id}" to ${stage}`, signal, async () => {
      const current = await readVersion(collections, model, version, signal);
      if (current.data.stage === stage) return current.data;
      const now = Date.now();
      const change: StageChangeRecord = {
        previousStage: current.data.stage,
        stage,
        reason,
        timeMs: now,
        principal,
      };
      const written = await collections.versions.put(
        versionId(model.id, version),
        {
          ...current.data,
          stage,
          stageHistory: [...(current.data.stageHistory ?? []), change],
          updateTimeMs: now,
          updatedBy: principal,
        },
        { expectedVersion: current.version, signal },
      );
      return written.data;
    });
  }

  return async function transitionStage(
    input: TransitionStageInput,
    principal: PrincipalRecord,
    signal: AbortSignal,
  ): Promise<{ model: Doc<ModelRecord>; version: VersionRecord }> {
    const model = await readModel(collections, input.modelName, signal);
    const version = await moveTo(model, input.version, input.stage, input.reason, principal, signal);
    if (input.archiveExistingVersions && (input.stage === 'STAGING' || input.stage === 'PRODUCTION')) {
      const others = await collections.versions.find(
        { modelName: input.modelName, stage: input.stage },
        { limit: 10_000, signal },
      );
      for (const other of others) {
        if (other.data.version !== input.version) {
          const why = `archived as version ${input.version} moved to ${input.stage}`;
          await moveTo(model, other.data.version, 'ARCHIVED', why, principal, signal);
        }
      }
    }
    return { model, version };
  };
}
