import { AppError, delay } from '@flywheel/core';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { startHttpServer } from '@flywheel/rpc';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createFeastHttpApi } from './api/feast-http-api.ts';
import { createFeatureStoreApi, featureStoreAnswerSizeHints } from './api/feature-store-api.ts';
import { featureStorePolicy } from './api/feature-store-policy.ts';
import type { FeatureStoreConfig } from './config.ts';
import { featureStoreConsumedEvents } from './consumed-events.ts';
import { createOnlineReadQuality } from './quality/online-read-tallies.ts';
import { createCatalogCache } from './storage/catalog-cache.ts';
import { openCollections } from './storage/feature-store-collections.ts';
import { createOfflineStore } from './storage/offline-store.ts';
import { createOnlineStore } from './storage/online-store.ts';
import { createApplyFeatureView } from './use-cases/apply-feature-view.ts';
import { createBatchSourceHistory } from './use-cases/batch-source-history.ts';
import { createStreamSourceConsumers } from './use-cases/consume-stream-sources.ts';
import { createCreateTrainingSet } from './use-cases/create-training-set.ts';
import { createDeleteFeatureView } from './use-cases/delete-feature-view.ts';
import { createFeatureServices } from './use-cases/feature-services.ts';
import { createFlushOnlineReadQuality } from './use-cases/flush-online-read-quality.ts';
import { createRetrieveHistoricalFeatures } from './use-cases/get-historical-features.ts';
import { createGetOnlineFeatures } from './use-cases/get-online-features.ts';
import { createGetOnlineFeaturesWithOnDemand } from './use-cases/get-online-features-with-on-demand.ts';
import { createHeavyReadGate } from './use-cases/heavy-read-gate.ts';
import { createRetrieveWithOnDemand } from './use-cases/historical-features-with-on-demand.ts';
import { createIngestArrivedDataset, createIngestBatchSource } from './use-cases/ingest-arrived-dataset.ts';
import { createIngestRows } from './use-cases/ingest-rows.ts';
import { createIngestStreamRecord } from './use-cases/ingest-stream-record.ts';
import { createMaterializeFeatureViews } from './use-cases/materialize-feature-views.ts';
import { createOnDemandFeatureViews } from './use-cases/on-demand-feature-views.ts';
import {
  createTrainingSetInOfflineStore,
  type TrainingSetInOfflineStoreDeps,
} from './use-cases/training-set-in-offline-store.ts';
import { createWriteDatasetFile, createWriteFeatureRows } from './use-cases/write-feature-rows.ts';

/**
 * The feature-store service: a catalog of feature views, an online store (latest value per entity,
 * in the service's document store), an offline store (history as JSON Lines chunks in the shared
 * blob store), point-in-time correct training sets, and the `dataset.arrived` consumer that ingests
 * new data into the views reading that dataset, and one consumer per view with a stream source of
 * the raw JSON records of its topic (started and stopped as views are applied and deleted,
 * here at once, through other replicas within `streamReconcileIntervalMs`). Data quality expectations are checked on every
 * write and online read; what online reads violated is flushed every
 * `qualityFlushIntervalMs`. GetOnlineFeatures is also served as Feast's HTTP/JSON
 * `/get-online-features` on `config.http.address` (bound address in `httpAddress`).
 */
export async function wireFeatureStore(
  host: ServiceHost,
  config: FeatureStoreConfig,
): Promise<ServiceWiring & { readonly httpAddress: string }> {
  const { server, infra, log } = host;
  const collections = openCollections(infra.store);
  const offline =
    // DuckDB (a native library) is loaded only when it is the configured offline adapter.
    config.offline === 'duckdb'
      ? await (await import('./storage/duckdb-offline-store.ts')).createDuckDbOfflineStore({
          blobs: infra.blobs,
          chunkRows: config.chunkRows,
          cacheDir: config.duckdbCacheDir,
          ...(config.duckdbThreads > 0 ? { threads: config.duckdbThreads } : {}),
          memoryLimit: config.duckdbMemoryLimit,
        })
      : createOfflineStore({ blobs: infra.blobs, chunkRows: config.chunkRows });
  const online = createOnlineStore(collections.online);
  const write = createWriteFeatureRows({ collections, offline, online, log });
  const quality = createOnlineReadQuality();
  const flushQuality = createFlushOnlineReadQuality({
    collections,
    quality,
    log: log.child({ component: 'online-read-quality' }),
  });
  const onDemand = createOnDemandFeatureViews({ collections, defaultTeam: config.host.localTeam });
  const featureServices = createFeatureServices({
    collections,
    onDemand,
    defaultTeam: config.host.localTeam,
  });
  const writeDatasetFile = createWriteDatasetFile({ collections, offline, online, log });
  const datasetDeps = {
    collections,
    blobs: infra.blobs,
    write,
    ...(writeDatasetFile ? { writeDatasetFile } : {}),
    log: log.child({ consumer: 'dataset.arrived' }),
    maxFutureSkewMs: config.maxFutureSkewMs,
    datasetStreamBytes: config.datasetStreamBytes,
  };
  const ingestBatchSource = createIngestBatchSource(datasetDeps);
  const batchSourceHistory = createBatchSourceHistory({
    collections,
    blobs: infra.blobs,
    offline,
    online,
    ingestBatchSource,
    log: log.child({ component: 'batch-source-history' }),
    maxFutureSkewMs: config.maxFutureSkewMs,
  });
  const historyReady = batchSourceHistory.ready;
  const retrieveHistoricalFeatures = createRetrieveWithOnDemand({
    collections,
    onDemand,
    featureServices,
    inner: createRetrieveHistoricalFeatures({
      collections,
      offline,
      blobs: infra.blobs,
      datasetStreamBytes: config.datasetStreamBytes,
      historyReady,
    }),
  });

  // Online lookups read definitions through the catalog cache; every catalog change made through
  // this replica (feature views, on-demand views, feature services) clears it, see clearingCatalog.
  const catalog = createCatalogCache(collections, config.catalogCacheTtlMs);
  const cachedOnDemand = createOnDemandFeatureViews({
    collections: catalog.collections,
    defaultTeam: config.host.localTeam,
  });
  const getOnlineFeatures = createGetOnlineFeaturesWithOnDemand({
    collections: catalog.collections,
    onDemand: cachedOnDemand,
    featureServices: createFeatureServices({
      collections: catalog.collections,
      onDemand: cachedOnDemand,
      defaultTeam: config.host.localTeam,
    }),
    inner: createGetOnlineFeatures({ collections: catalog.collections, online, quality }),
  });
  const clearingCatalog =
    <A extends unknown[], R>(change: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await change(...args);
      } finally {
        catalog.clear();
      }
    };
  const streamLog = log.child({ component: 'stream-sources' });
  const streams = createStreamSourceConsumers({
    collections,
    start: (group, topic, handler) => host.consume({ group, topics: [topic], records: 'raw' }, handler),
    handlerFor: (viewName) =>
      createIngestStreamRecord(viewName, {
        collections,
        write,
        maxFutureSkewMs: config.maxFutureSkewMs,
        log: streamLog.child({ featureView: viewName }),
      }),
    log: streamLog,
  });
  const reconcileStreams = (): Promise<unknown> =>
    streams
      .reconcile()
      .catch((error: unknown) =>
        streamLog.warn('stream consumers not reconciled', { error: AppError.from(error).message }),
      );
  const applyFeatureView = createApplyFeatureView({ collections, defaultTeam: config.host.localTeam });
  const deleteFeatureView = createDeleteFeatureView({ collections, online, offline, log });

  server.add(
    FeatureStoreService,
    createFeatureStoreApi({
      collections,
      applyFeatureView: async (view, options) => {
        const result = await clearingCatalog(applyFeatureView)(view, options);
        if (result.changed) await reconcileStreams();
        return result;
      },
      deleteFeatureView: async (name, options) => {
        await clearingCatalog(deleteFeatureView)(name, options);
        await reconcileStreams();
      },
      ingestRows: createIngestRows({ collections, write, maxFutureSkewMs: config.maxFutureSkewMs }),
      getOnlineFeatures,
      retrieveHistoricalFeatures,
      onDemand: {
        ...onDemand,
        apply: clearingCatalog(onDemand.apply),
        delete: clearingCatalog(onDemand.delete),
      },
      featureServices: { ...featureServices, create: clearingCatalog(featureServices.create) },
      createTrainingSet: createCreateTrainingSet({
        collections,
        blobs: infra.blobs,
        retrieve: retrieveHistoricalFeatures,
        defaultTeam: config.host.localTeam,
        ...trainingSetInOfflineStore({
          collections,
          onDemand,
          featureServices,
          offline,
          blobs: infra.blobs,
          historyReady,
        }),
      }),
      materialize: createMaterializeFeatureViews({
        collections,
        offline,
        online,
        ingestBatchSource,
        history: batchSourceHistory,
      }),
      maxMessageBytes: config.host.maxMessageBytes,
      heavyReads: createHeavyReadGate(config.heavyReads),
    }),
    featureStorePolicy(collections),
    { answerSizeHints: featureStoreAnswerSizeHints },
  );
  await host.consume(
    { topics: featureStoreConsumedEvents.datasets },
    createIngestArrivedDataset(datasetDeps),
  );
  const http = await startHttpServer(
    config.http.address,
    createFeastHttpApi({ getOnlineFeatures, maxBodyBytes: config.http.maxBodyBytes }),
    {
      log: log.child({ component: 'http' }),
      setting: 'FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS',
      ...(host.tls.enabled ? { tls: host.tls } : {}),
      ...(host.auth.authenticator
        ? {
            auth: {
              authenticator: host.auth.authenticator,
              // As its gRPC API for now: platform admins only; /health stays open for probes.
              policyOf: (_req, path) =>
                path === '/health' ? { access: 'open' } : { access: 'platform-admin' },
            },
          }
        : {}),
    },
  );
  log.info('HTTP online API listening', { address: http.address });
  const stopping = new AbortController();
  const signal = AbortSignal.any([host.signal, stopping.signal]);
  await reconcileStreams();
  const reconciling = (async () => {
    while (!signal.aborted) {
      await delay(config.streamReconcileIntervalMs, signal).catch(() => {});
      if (!signal.aborted) await reconcileStreams();
    }
  })();
  const flushing = (async () => {
    while (!signal.aborted) {
      try {
        await delay(config.qualityFlushIntervalMs, signal);
        await flushQuality({ signal });
      } catch (error) {
        if (signal.aborted) return;
        log.warn('online-read quality flush failed', { error: AppError.from(error).message });
      }
    }
  })();
  return {
    httpAddress: http.address,
    close: async () => {
      await http.close();
      stopping.abort();
      await Promise.all([flushing, reconciling]);
      await streams.close();
      // What the last interval saw is not dropped on a clean stop.
      await flushQuality().catch((error: unknown) =>
        log.warn('online-read quality flush failed', { error: AppError.from(error).message }),
      );
      await offline.close();
    },
  };
}

/** `inOfflineStore` of CreateTrainingSet when the offline store writes joined files (duckdb). */
function trainingSetInOfflineStore(deps: TrainingSetInOfflineStoreDeps) {
  const inOfflineStore = createTrainingSetInOfflineStore(deps);
  return inOfflineStore ? { inOfflineStore } : {};
}
