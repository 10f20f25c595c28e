import { type BlobStore, parseBlobUri, withLocalBlobFile } from '@flywheel/blobs';
import type { EventHandler } from '@flywheel/bus';
import { AppError, type CallOptions, type Logger } from '@flywheel/core';
import { decodeEvent } from '@flywheel/events';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { WriteTarget } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { readDataset } from '../datasets/dataset-files.ts';
import { datasetRows, viewColumns } from '../datasets/dataset-rows.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { DatasetChunksPlan } from '../storage/offline-store.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import type { RowsOrigin, WriteDatasetFile, WriteFeatureRows } from './write-feature-rows.ts';

export interface IngestArrivedDatasetDeps {
  collections: FeatureStoreCollections;
  blobs: BlobStore;
  write: WriteFeatureRows;
  /** Writes a Parquet batch source straight into the offline store, when the store can (duckdb). */
  writeDatasetFile?: WriteDatasetFile;
  log: Logger;
  /** How far past now an event time may be, ms; a later one dead-letters the file. */
  maxFutureSkewMs: number;
  /** Dataset blobs over this many bytes are read as streams (default 512 MiB). */
  datasetStreamBytes?: number;
  /** Clock, epoch ms. */
  now?: () => number;
}

/**
 * The `dataset.arrived` handler: reads the dataset blob once and ingests it into every feature view
 * whose batch source names that dataset (offline + online when the view is online), one
 * `features.materialized` per view. A blob already ingested into a view is skipped for that view.
 * A file that cannot be ingested — not a blob URI, a digest that does not match, an unsupported
 * format, a malformed line, a value of the wrong type, an event time past now + `maxFutureSkewMs` — is `invalid_argument` (not retriable: the
 * event goes to `dataset.arrived.dlq` with the reason) and nothing is written to any view.
 */
export function createIngestArrivedDataset(deps: IngestArrivedDatasetDeps): EventHandler {
  const { collections, blobs, write, log } = deps;
  const now = deps.now ?? Date.now;
  return async (event, { signal }) => {
    const arrived = decodeEvent(DatasetArrivedSchema, event);
    if (arrived.dataset === '') {
      throw AppError.invalidArgument('dataset', `event ${event.id} names no dataset`);
    }
    const views = (
      await collections.views.find({ datasetName: arrived.dataset }, { signal, limit: 10_000 })
    ).map((doc) => doc.data);
    if (views.length === 0) {
      log.debug('no feature view reads this dataset', { dataset: arrived.dataset });
      return;
    }
    const reason = (error: unknown): AppError => {
      const cause = AppError.from(error);
      return new AppError(cause.code, `dataset "${arrived.dataset}" (${arrived.uri}): ${cause.message}`, {
        cause,
        retriable: cause.retriable,
        ...(cause.field === undefined ? {} : { field: cause.field }),
      });
    };
    try {
      const sha256 = parseBlobUri(arrived.uri, 'uri');
      if (arrived.sha256 !== '' && arrived.sha256 !== sha256) {
        throw AppError.invalidArgument('sha256', `is ${arrived.sha256} but the uri names ${sha256}`);
      }
      const pending: FeatureViewRecord[] = [];
      for (const view of views) {
        const data = await collections.viewData.get(view.name, { signal });
        if (!data?.data.ingestedDatasets.includes(sha256)) pending.push(view);
      }
      if (pending.length === 0) return;
      const table = await readDataset(
        blobs,
        { uri: arrived.uri, format: arrived.format },
        'dataset',
        { signal },
        deps.datasetStreamBytes,
      );
      const limit = { nowMs: now(), skewMs: deps.maxFutureSkewMs };
      const batches: [FeatureViewRecord, FeatureRowData[]][] = pending.map((view) => {
        try {
          return [view, datasetRows(view, table, limit)];
        } catch (error) {
          const cause = AppError.from(error);
          throw new AppError(cause.code, `feature view ${view.name}: ${cause.message}`, { cause });
        }
      });
      const origin = { dataset: arrived.dataset, datasetUri: arrived.uri, datasetSha256: sha256 };
      for (const [view, rows] of batches) {
        const result = await write(view, rows, WriteTarget.UNSPECIFIED, origin, { signal });
        log.info('dataset ingested', {
          dataset: arrived.dataset,
          featureView: view.name,
          rows: result.rowsWritten,
          rejected: result.rowsRejected,
        });
      }
    } catch (error) {
      throw reason(error);
    }
  };
}

/** Ingests a view's `source.batch.uri` unless that blob is already in it; see {@link createIngestBatchSource}. */
export type IngestBatchSource = (view: FeatureViewRecord, options?: CallOptions) => Promise<void>;

/**
 * What makes `BatchSource.uri` work: Materialize calls this first for each view, so the blob the
 * view names is in its offline history (ingested as a `dataset.arrived` of it would be, same
 * checks and events, skipped once ingested; the online part is Materialize's). A view without a uri is left alone. A blob that is missing or
 * cannot be ingested is `failed_precondition` (the request is fine, the view's source is not)
 * naming the view and the uri, with the cause.
 */
export function createIngestBatchSource(deps: IngestArrivedDatasetDeps): IngestBatchSource {
  const { collections, blobs, write } = deps;
  const now = deps.now ?? Date.now;
  return async (view, options = {}) => {
    const batch = view.source?.batch;
    if (!batch || batch.uri === '') return;
    try {
      const sha256 = parseBlobUri(batch.uri, 'source.batch.uri');
      const data = await collections.viewData.get(view.name, options);
      if (data?.data.ingestedDatasets.includes(sha256)) return;
      const origin = { dataset: batch.dataset, datasetUri: batch.uri, datasetSha256: sha256 };
      const writeDatasetFile = deps.writeDatasetFile;
      const table =
        batch.format === DatasetFormat.PARQUET && writeDatasetFile
          ? await withLocalBlobFile(blobs, sha256, options, async (path) => {
              const limit = now() + deps.maxFutureSkewMs;
              if (await writeParquetInPlace(writeDatasetFile, path, view, origin, limit, options)) return;
              // Declined: read the local copy as rows, rather than fetching the blob a second time.
              return (await import('../datasets/parquet-table.ts')).readParquetFile(path, 'source.batch');
            })
          : await readDataset(
              blobs,
              { uri: batch.uri, format: batch.format },
              'source.batch',
              options,
              deps.datasetStreamBytes,
            );
      if (!table) return;
      const rows = datasetRows(view, table, { nowMs: now(), skewMs: deps.maxFutureSkewMs });
      // Offline only: putting it online is Materialize's own step, within its window.
      await write(view, rows, WriteTarget.OFFLINE, origin, options);
    } catch (error) {
      const cause = AppError.from(error);
      if (cause.code !== 'invalid_argument' && cause.code !== 'not_found') throw cause;
      throw new AppError(
        'failed_precondition',
        `feature view ${view.name}: source.batch.uri ${batch.uri}: ${cause.message}`,
        { cause },
      );
    }
  };
}

/**
 * A Parquet batch source (a local copy at `path`) written into the offline store by the store itself (DuckDB reading the
 * file into chunks: no row objects, ~10x faster at 1M rows, bench/README.md). False when the
 * store did not take the file — outside its plain case, or failing a check — and nothing was
 * written: the caller reads the file as rows, whose checks name the row and column at fault.
 */
async function writeParquetInPlace(
  writeDatasetFile: WriteDatasetFile,
  path: string,
  view: FeatureViewRecord,
  origin: RowsOrigin,
  latestMs: number,
  options: CallOptions,
): Promise<boolean> {
  const plan = datasetChunksPlan(view, path, latestMs);
  return (await writeDatasetFile(view, plan, origin, options)) !== undefined;
}

/** The offline store's plan for reading the Parquet file at `path` as rows of `view` (event times ≤ `latestMs`). */
export function datasetChunksPlan(
  view: FeatureViewRecord,
  path: string,
  latestMs: number,
): DatasetChunksPlan {
  const { column, timeColumn } = viewColumns(view);
  return {
    view: view.name,
    path,
    keys: view.joinKeys.map((k) => ({ column: column(k.name), valueType: k.valueType })),
    timeColumn,
    features: view.features.map((f) => ({ column: column(f.name), name: f.name, valueType: f.valueType })),
    latestMs,
  };
}
