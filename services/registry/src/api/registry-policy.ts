import type { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { type OwnedBy, ownedBy, type ServicePolicy } from '@flywheel/rpc';
import { readModel } from '../records/read-model.ts';
import type { RegistryCollections } from '../records/registry-records.ts';
import { parseModelUri } from '../versions/resolve-model-uri.ts';

/**
 * Who may call each RegistryService method (checked by the kernel when auth is on): models,
 * versions, aliases and lineage belong to the model's team; a create names its team. A caller
 * with no role in a model's team is answered NOT_FOUND, as for a missing model.
 */
export function registryPolicy(
  collections: RegistryCollections,
): ServicePolicy<typeof RegistryService.method> {
  // NOT_FOUND for a missing model and, word for word, for another team's (readModel's answer).
  const modelTeam = async (req: { modelName: string }, signal: AbortSignal): Promise<OwnedBy> =>
    ownedBy(`model "${req.modelName}"`, (await readModel(collections, req.modelName, signal)).data.team);
  return {
    createModel: { action: 'edit', team: (req) => req.team },
    getModel: { action: 'view', team: modelTeam },
    listModels: { action: 'view', list: true, team: (req) => req.team },
    // Content-addressed bytes, owned by no team until a version names them.
    uploadArtifact: { access: 'authenticated' },
    registerVersion: {
      action: 'edit',
      // The model's team; the request's when this version creates the model.
      team: async (req, signal) => {
        const model = await collections.models.get(req.modelName, { signal });
        return model ? ownedBy(`model "${req.modelName}"`, model.data.team) : req.team;
      },
    },
    getVersion: { action: 'view', team: modelTeam },
    listVersions: { action: 'view', team: modelTeam },
    setAlias: { action: 'edit', team: modelTeam },
    deleteAlias: { action: 'edit', team: modelTeam },
    getAliasHistory: { action: 'view', team: modelTeam },
    resolveModelUri: { action: 'view', team: (req, signal) => modelTeam(parseModelUri(req.uri), signal) },
    transitionStage: { action: 'edit', team: modelTeam },
    getLineage: { action: 'view', team: modelTeam },
    getStageHistory: { action: 'view', team: modelTeam },
    // Across models: filtered to the teams the caller may view, like ListModels.
    findVersionsByLineage: { action: 'view', list: true, team: (req) => req.team },
    downloadArtifact: { action: 'view', team: modelTeam },
  };
}
