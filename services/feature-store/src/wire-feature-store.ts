import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createFeatureStoreApi } from './api/feature-store-api.ts';
import type { FeatureStoreConfig } from './config.ts';
import { openCollections } from './storage/feature-store-collections.ts';
import { createOfflineStore } from './storage/offline-store.ts';
import { createOnlineStore } from './storage/online-store.ts';
import { createApplyFeatureView } from './use-cases/apply-feature-view.ts';
import { createCreateTrainingSet } from './use-cases/create-training-set.ts';
import { createDeleteFeatureView } from './use-cases/delete-feature-view.ts';
import { createRetrieveHistoricalFeatures } from './use-cases/get-historical-features.ts';
import { createGetOnlineFeatures } from './use-cases/get-online-features.ts';
import { createIngestArrivedDataset } from './use-cases/ingest-arrived-dataset.ts';
import { createIngestRows } from './use-cases/ingest-rows.ts';
import { createMaterializeFeatureViews } from './use-cases/materialize-feature-views.ts';
import { createWriteFeatureRows } from './use-cases/write-feature-rows.ts';

/**
 * The feature-store service: a catalog of feature views, an online store (latest value per entity,
 * in the service's document store), an offline store (history as JSON Lines chunks in the shared
 * blob store), point-in-time correct training sets, and the `dataset.arrived` consumer that ingests
 * new data into the views reading that dataset.
 */
export async function wireFeatureStore(
  host: ServiceHost,
  config: FeatureStoreConfig,
): Promise<ServiceWiring> {
  const { server, infra, log } = host;
  const collections = openCollections(infra.store);
  const offline = createOfflineStore({ blobs: infra.blobs, chunkRows: config.chunkRows });
  const online = createOnlineStore(collections.online);
  const write = createWriteFeatureRows({ collections, offline, online, log });
  const retrieveHistoricalFeatures = createRetrieveHistoricalFeatures({
    collections,
    offline,
    blobs: infra.blobs,
  });

  server.add(
    FeatureStoreService,
    createFeatureStoreApi({
      collections,
      applyFeatureView: createApplyFeatureView({ collections, defaultTeam: config.host.localTeam }),
      deleteFeatureView: createDeleteFeatureView({ collections, online, offline, log }),
      ingestRows: createIngestRows({ collections, write }),
      getOnlineFeatures: createGetOnlineFeatures({ collections, online }),
      retrieveHistoricalFeatures,
      createTrainingSet: createCreateTrainingSet({
        collections,
        blobs: infra.blobs,
        retrieve: retrieveHistoricalFeatures,
        defaultTeam: config.host.localTeam,
      }),
      materialize: createMaterializeFeatureViews({ collections, offline, online }),
    }),
  );
  await host.consume(
    { topics: ['dataset.arrived'] },
    createIngestArrivedDataset({
      collections,
      blobs: infra.blobs,
      write,
      log: log.child({ consumer: 'dataset.arrived' }),
    }),
  );
  return {};
}
