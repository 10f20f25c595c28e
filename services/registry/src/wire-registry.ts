import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createDeleteAlias } from './aliases/delete-alias.ts';
import { createGetAliasHistory } from './aliases/get-alias-history.ts';
import { createSetAlias } from './aliases/set-alias.ts';
import { principalRecordOf } from './api/caller.ts';
import { createRegistryApi } from './api/registry-api.ts';
import { registryPolicy } from './api/registry-policy.ts';
import { createDownloadArtifact } from './artifacts/download-artifact.ts';
import { createUploadArtifact } from './artifacts/upload-artifact.ts';
import type { RegistryConfig } from './config.ts';
import { createFindVersionsByLineage } from './lineage/find-versions-by-lineage.ts';
import { createGetLineage } from './lineage/get-lineage.ts';
import { createCreateModel } from './models/create-model.ts';
import { createListModels } from './models/list-models.ts';
import { openRegistryCollections } from './records/registry-records.ts';
import { createGetStageHistory } from './versions/get-stage-history.ts';
import { createListVersions } from './versions/list-versions.ts';
import { recoverClaims } from './versions/recover-claims.ts';
import { createRegisterVersion } from './versions/register-version.ts';
import { createResolveModelUri } from './versions/resolve-model-uri.ts';
import { createTransitionStage } from './versions/transition-stage.ts';

/**
 * The registry service — the model store: models, versions, artifacts, aliases, lineage. Serves
 * RegistryService on the host's server, emits `model.version-registered` and `model.alias-changed`
 * through the outbox, consumes nothing. Rolls forward version claims a crash left behind.
 */
export function wireRegistry(host: ServiceHost, config: RegistryConfig): ServiceWiring {
  const { server, infra, log } = host;
  const collections = openRegistryCollections(infra.store);
  const deps = { collections, blobs: infra.blobs };
  server.add(
    RegistryService,
    createRegistryApi({
      collections,
      principalOf: (ctx) => principalRecordOf(ctx.principal),
      useCases: {
        createModel: createCreateModel(deps),
        listModels: createListModels(deps),
        uploadArtifact: createUploadArtifact({
          blobs: infra.blobs,
          maxArtifactBytes: config.maxArtifactBytes,
        }),
        registerVersion: createRegisterVersion(deps),
        listVersions: createListVersions(deps),
        setAlias: createSetAlias(deps),
        deleteAlias: createDeleteAlias(deps),
        getAliasHistory: createGetAliasHistory(deps),
        resolveModelUri: createResolveModelUri(deps),
        transitionStage: createTransitionStage(deps),
        getLineage: createGetLineage(deps),
        getStageHistory: createGetStageHistory(deps),
        findVersionsByLineage: createFindVersionsByLineage(deps),
        downloadArtifact: createDownloadArtifact(deps),
      },
    }),
    registryPolicy(collections),
  );
  const recovered = recoverClaims({ collections, log }, host.signal);
  return {
    close: async () => {
      await recovered;
    },
  };
}
