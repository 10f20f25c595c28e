import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createApplyFeatureView } from './apply-feature-view.ts';
import type { FeatureStoreConfig } from './config.ts';
import { createCreateTrainingSet } from './create-training-set.ts';
import { createDeleteFeatureView } from './delete-feature-view.ts';
import { createFeatureStoreApi } from './feature-store-api.ts';
import { openCollections } from './feature-store-collections.ts';
import { createRetrieveHistoricalFeatures } from './get-historical-features.ts';
import { createGetOnlineFeatures } from './get-online-features.ts';
import { createIngestArrivedDataset } from './ingest-arrived-dataset.ts';
import { createIngestRows } from './ingest-rows.ts';
import { createMaterializeFeatureViews } from './materialize-feature-views.ts';
import { createOfflineStore } from './offline-store.ts';
import { createOnlineStore } from './online-store.ts';
import { createWriteFeatureRows } from './write-feature-rows.ts';

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
