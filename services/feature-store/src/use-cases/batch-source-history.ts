import { type BlobStore, parseBlobUri, withLocalBlobFile } from '@flywheel/blobs';
import { AppError, type CallOptions, type Logger } from '@flywheel/core';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { ViewDataRecord } from '../storage/offline-records.ts';
import type { OfflineStore } from '../storage/offline-store.ts';
import type { OnlineStore } from '../storage/online-store.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import { datasetChunksPlan, type IngestBatchSource } from './ingest-arrived-dataset.ts';

export interface BatchSourceHistoryDeps {
  collections: FeatureStoreCollections;
  blobs: BlobStore;
  offline: OfflineStore;
  online: OnlineStore;
  /** Puts a view's `source.batch.uri` into its offline history (once; see createIngestBatchSource). */
  ingestBatchSource: IngestBatchSource;
  log: Logger;
  /** How far past now an event time may be, ms (the checks of the offline ingest). */
  maxFutureSkewMs: number;
  /** Clock, epoch ms. */
  now?: () => number;
}

/**
 * A view's batch source on its way into the offline history. Materialize may put a Parquet batch
 * source online straight from the file and leave its offline ingest running after it answers;
 * every reader of the history waits for that ingest (or does it) first, so a training set never
 * misses the file's rows.
 */
export interface BatchSourceHistory {
  /**
   * Materialize's first pass over a view whose history is still empty and whose Parquet batch
   * source is not ingested: the latest values in [startMs, endMs) per entity, read by the offline
   * store from the file in place and written online. Answers the online entities changed and the
   * blob's digest (the caller records it in `onlineBeforeHistory`, then calls
   * {@link ingestInBackground}), or undefined (nothing written) when this path does not apply or the
   * file is outside the store's plain case — the caller then ingests the file first, whose errors
   * name what is wrong, and materializes from the history.
   */
  materializeFromFile(
    view: FeatureViewRecord,
    data: ViewDataRecord,
    startMs: number | null,
    endMs: number,
    options?: CallOptions,
  ): Promise<{ entities: number; sha256: string } | undefined>;
  /** Starts {@link ingest} and returns; a failure is logged (the next {@link ready} retries it). */
  ingestInBackground(view: FeatureViewRecord): void;
  /** The view's batch source in its offline history: ingests it, or joins the ingest under way. */
  ingest(view: FeatureViewRecord, options?: CallOptions): Promise<void>;
  /**
   * Before a history read of `views`: waits for their batch sources' offline ingests under way and,
   * for a view whose batch source Materialize put online from the file (`onlineBeforeHistory`) but
   * is not in its history yet (the ingest failed, or ran on a replica that stopped), ingests it now.
   * Its errors are the ingest's.
   */
  ready(views: readonly FeatureViewRecord[], options?: CallOptions): Promise<void>;
}

export function createBatchSourceHistory(deps: BatchSourceHistoryDeps): BatchSourceHistory {
  const { collections, blobs, offline, online, log } = deps;
  const now = deps.now ?? Date.now;
  /** Ingests under way in this process, by view name and blob digest. */
  const running = new Map<string, Promise<void>>();

  const ingest = (view: FeatureViewRecord, options: CallOptions = {}): Promise<void> => {
    const uri = view.source?.batch?.uri ?? '';
    if (uri === '') return Promise.resolve();
    const key = `${view.name}\n${uri}`;
    const held = running.get(key);
    if (held) return held;
    // Shared by every waiter, so not bound to the first caller's deadline or cancellation.
    const { signal: _signal, ...shared } = options;
    const started = deps.ingestBatchSource(view, shared).finally(() => running.delete(key));
    running.set(key, started);
    return started;
  };

  return {
    ingest,

    async materializeFromFile(view, data, startMs, endMs, options = {}) {
      const batch = view.source?.batch;
      const latestInDatasetFile = offline.latestInDatasetFile;
      if (
        !latestInDatasetFile ||
        !batch ||
        batch.uri === '' ||
        batch.format !== DatasetFormat.PARQUET ||
        (view.expectations ?? []).length > 0 ||
        data.chunks.length > 0
      ) {
        return undefined;
      }
      let sha256: string;
      try {
        sha256 = parseBlobUri(batch.uri, 'source.batch.uri');
      } catch {
        return undefined; // the ingest says why
      }
      if (data.ingestedDatasets.includes(sha256) || !(await blobs.stat(sha256, options))) return undefined;
      let written = 0;
      const taken = await withLocalBlobFile(blobs, sha256, options, (path) =>
        latestInDatasetFile(
          datasetChunksPlan(view, path, now() + deps.maxFutureSkewMs),
          startMs,
          endMs,
          async (updates) => {
            written += await online.apply(view.name, updates, options);
          },
          options,
        ),
      );
      if (!taken) return undefined;
      log.info('materialized online from the batch source file; its offline ingest follows', {
        featureView: view.name,
        uri: batch.uri,
        rows: taken.rows,
        entities: written,
      });
      return { entities: written, sha256 };
    },

    ingestInBackground(view) {
      ingest(view).then(
        () => log.info('batch source in the offline history', { featureView: view.name }),
        (error: unknown) =>
          log.warn('offline ingest of a materialized batch source failed; the next history read retries it', {
            featureView: view.name,
            uri: view.source?.batch?.uri,
            error: AppError.from(error).message,
          }),
      );
    },

    async ready(views, options = {}) {
      await Promise.all(
        views.map(async (view) => {
          const uri = view.source?.batch?.uri ?? '';
          if (uri === '') return;
          const held = running.get(`${view.name}\n${uri}`);
          if (held) await held.catch(() => undefined);
          let sha256: string;
          try {
            sha256 = parseBlobUri(uri, 'source.batch.uri');
          } catch {
            return;
          }
          const data = (await collections.viewData.get(view.name, options))?.data;
          const pending =
            data?.onlineBeforeHistory?.includes(sha256) && !data.ingestedDatasets.includes(sha256);
          if (pending) {
            await ingest(view, options);
          }
        }),
      );
    },
  };
}
