import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { localPrincipal } from './caller.ts';
import type { RegistryConfig } from './config.ts';
import { createCreateModel } from './create-model.ts';
import { createDeleteAlias } from './delete-alias.ts';
import { createDownloadArtifact } from './download-artifact.ts';
import { createGetAliasHistory } from './get-alias-history.ts';
import { createGetLineage } from './get-lineage.ts';
import { createListModels } from './list-models.ts';
import { createListVersions } from './list-versions.ts';
import { recoverClaims } from './recover-claims.ts';
import { createRegisterVersion } from './register-version.ts';
import { createRegistryApi } from './registry-api.ts';
import { openRegistryCollections } from './registry-records.ts';
import { createResolveModelUri } from './resolve-model-uri.ts';
import { createSetAlias } from './set-alias.ts';
import { createTransitionStage } from './transition-stage.ts';
import { createUploadArtifact } from './upload-artifact.ts';

/**
 * The registry service — the model store: models, versions, artifacts, aliases, lineage. Serves
 * RegistryService on the host's server, emits `model.version-registered` and `model.alias-changed`
 * through the outbox, consumes nothing. Rolls forward version claims a crash left behind.
 */
export function wireRegistry(host: ServiceHost, config: RegistryConfig): ServiceWiring {
  const { server, infra, log } = host;
  const collections = openRegistryCollections(infra.store);
  const deps = { collections, blobs: infra.blobs };
  const principal = localPrincipal(config.host.localTeam);
  server.add(
    RegistryService,
    createRegistryApi({
      collections,
      principalOf: () => principal,
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
        downloadArtifact: createDownloadArtifact(deps),
      },
    }),
  );
  const recovered = recoverClaims({ collections, log }, host.signal);
  return {
    close: async () => {
      await recovered;
    },
  };
}
