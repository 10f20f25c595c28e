import { createHash } from 'node:crypto';
import { AppError, type CallOptions, type Logger } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import { WriteTarget } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { checkExpectations } from '@flywheel/quality';
import { rejectedRowEvents, violationEvents } from '../quality/quality-events.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { emptyViewData } from '../storage/offline-records.ts';
import type { DatasetChunks, DatasetChunksPlan, OfflineStore } from '../storage/offline-store.ts';
import { latestPerEntity, type OnlineStore } from '../storage/online-store.ts';
import { updateDocument } from '../storage/update-document.ts';
import { toTimestamp } from '../values/event-times.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';

/** Where a batch of rows came from, when a `dataset.arrived` brought it. */
export interface RowsOrigin {
  readonly dataset: string;
  readonly datasetUri: string;
  /** sha256 of the dataset blob: ingesting the same blob into the same view again is a no-op. */
  readonly datasetSha256: string;
}

export interface WriteResult {
  readonly rowsWritten: number;
  /** Rows a REJECT expectation refused (announced in `feature-rows.rejected`), not written. */
  readonly rowsRejected: number;
  /** True when the dataset blob had already been ingested into the view: nothing was written. */
  readonly alreadyIngested: boolean;
}

/** Writes validated rows of one view to the offline and/or online store and announces it. */
export type WriteFeatureRows = (
  view: FeatureViewRecord,
  rows: readonly FeatureRowData[],
  target: WriteTarget,
  origin: RowsOrigin | undefined,
  options?: CallOptions,
) => Promise<WriteResult>;

export interface WriteFeatureRowsDeps {
  collections: FeatureStoreCollections;
  offline: OfflineStore;
  online: OnlineStore;
  log: Logger;
  /** Clock for freshness expectations, epoch ms. */
  now?: () => number;
}

/**
 * The one write path of rows (Ingest, IngestStream, dataset.arrived): offline chunks into the blob
 * store, latest values into the online store, then ONE write of the view's data document that
 * indexes the new chunks and carries `features.materialized` (window = [earliest, latest + 1 ms)
 * of the rows' event times) in its outbox. Every step is idempotent, so a retry after a crash
 * anywhere converges; an identical retry writes no second event. The rows are first checked
 * against the view's expectations: rows a REJECT expectation refuses are left out, and the
 * batch's `data-quality.violated` (one per violated expectation) and `feature-rows.rejected`
 * events ride in that same write, with ids derived from the batch, so the batch is never half
 * announced and a retry repeats only ids consumers have seen. A dataset blob is announced and
 * counted once per view even when two writers (replicas handling two deliveries of one
 * `dataset.arrived`) ingest it at the same time: the one whose final write comes second writes
 * nothing and resolves `alreadyIngested`. Target UNSPECIFIED means offline,
 * plus online when the view is online; an explicit online target on a view that is not online is
 * `failed_precondition`.
 */
export function createWriteFeatureRows(deps: WriteFeatureRowsDeps): WriteFeatureRows {
  const { collections, offline, online, log } = deps;
  const now = deps.now ?? Date.now;
  return async (view, given, target, origin, options = {}) => {
    const explicitOnline = target === WriteTarget.ONLINE || target === WriteTarget.ONLINE_AND_OFFLINE;
    if (explicitOnline && !view.online) {
      throw new AppError(
        'failed_precondition',
        `feature view ${view.name} is not online; write it OFFLINE or apply it with online: true`,
      );
    }
    const toOffline = target !== WriteTarget.ONLINE;
    const toOnline = explicitOnline || (target === WriteTarget.UNSPECIFIED && view.online);
    if (origin) {
      const data = await collections.viewData.get(view.name, options);
      if (data?.data.ingestedDatasets.includes(origin.datasetSha256)) {
        log.info('dataset already ingested into feature view, skipped', {
          featureView: view.name,
          uri: origin.datasetUri,
        });
        return { rowsWritten: 0, rowsRejected: 0, alreadyIngested: true };
      }
    }
    const checked = checkExpectations(view.expectations ?? [], given, now());
    const rows = checked.accepted;
    let idBase: string | undefined;
    const context = {
      stage: 'ingest' as const,
      // Only quality events read it: a clean batch is not hashed.
      get idBase(): string {
        idBase ??= `${view.name}/r${view.revision}/${origin ? origin.datasetSha256 : digestOf(given)}`;
        return idBase;
      },
      ...(origin ? { dataset: origin.dataset, datasetUri: origin.datasetUri } : {}),
    };
    const qualityEvents = [
      ...violationEvents(view, checked.tallies, context),
      ...rejectedRowEvents(view, checked.rejected, context),
    ];
    const rowsRejected = checked.rejected.length;
    if (rows.length === 0 && qualityEvents.length === 0) {
      return { rowsWritten: 0, rowsRejected, alreadyIngested: false };
    }

    const chunks = toOffline ? await offline.writeChunks(view.name, rows, options) : [];
    const entitiesChanged = toOnline ? await online.apply(view.name, latestPerEntity(rows), options) : 0;
    let minTimeMs = Number.POSITIVE_INFINITY;
    let maxTimeMs = Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      minTimeMs = Math.min(minTimeMs, row.timeMs);
      maxTimeMs = Math.max(maxTimeMs, row.timeMs);
    }
    const written = { chunks, rows: rows.length, minTimeMs, maxTimeMs };
    const lostRace = await commit(
      deps,
      view,
      written,
      { toOnline, entitiesChanged, qualityEvents, origin },
      options,
    );
    if (lostRace) return { rowsWritten: 0, rowsRejected, alreadyIngested: true };
    return { rowsWritten: rows.length, rowsRejected, alreadyIngested: false };
  };
}

/**
 * Writes a Parquet dataset file into a view's offline history without reading it into rows, when
 * the offline store can ({@link OfflineStore.writeDatasetChunks}): the same chunks, document write
 * and `features.materialized` as {@link WriteFeatureRows} with target OFFLINE. Only for a view
 * without expectations (those check rows). Undefined, with nothing written, when the store cannot
 * take this file; the caller then reads it as rows and writes those.
 */
export type WriteDatasetFile = (
  view: FeatureViewRecord,
  plan: DatasetChunksPlan,
  origin: RowsOrigin,
  options?: CallOptions,
) => Promise<WriteResult | undefined>;

/** {@link WriteDatasetFile} over the offline store and the view-data document. */
export function createWriteDatasetFile(deps: WriteFeatureRowsDeps): WriteDatasetFile | undefined {
  const { collections, offline, log } = deps;
  if (!offline.writeDatasetChunks) return undefined;
  return async (view, plan, origin, options = {}) => {
    if ((view.expectations ?? []).length > 0) return undefined;
    const data = await collections.viewData.get(view.name, options);
    if (data?.data.ingestedDatasets.includes(origin.datasetSha256)) {
      return { rowsWritten: 0, rowsRejected: 0, alreadyIngested: true };
    }
    const written = await offline.writeDatasetChunks!(plan, options);
    if (!written) return undefined;
    log.debug('dataset written to the offline store by the store itself', {
      featureView: view.name,
      rows: written.rows,
      chunks: written.chunks.length,
    });
    const facts = { toOnline: false, entitiesChanged: 0, qualityEvents: [], origin };
    const lostRace = await commit(deps, view, written, facts, options);
    return { rowsWritten: lostRace ? 0 : written.rows, rowsRejected: 0, alreadyIngested: lostRace };
  };
}

interface CommitFacts {
  readonly toOnline: boolean;
  readonly entitiesChanged: number;
  readonly qualityEvents: ReturnType<typeof violationEvents>;
  readonly origin: RowsOrigin | undefined;
}

/**
 * The one write of a view's data document that ends every write: it indexes the new chunks and
 * carries `features.materialized` and the quality events in its outbox. True when another writer
 * ingested the dataset blob meanwhile (nothing written).
 */
async function commit(
  deps: Pick<WriteFeatureRowsDeps, 'collections' | 'log'>,
  view: FeatureViewRecord,
  written: DatasetChunks,
  facts: CommitFacts,
  options: CallOptions,
): Promise<boolean> {
  const { toOnline, entitiesChanged, qualityEvents, origin } = facts;
  let lostRace = false;
  await updateDocument(
    deps.collections.viewData,
    view.name,
    (current) => {
      const data = current?.data ?? emptyViewData(view.name);
      // Another replica ingested this blob since the check above (two deliveries of its
      // dataset.arrived at once): it wrote the same chunks and online values and announced them.
      lostRace = origin !== undefined && data.ingestedDatasets.includes(origin.datasetSha256);
      if (lostRace) return undefined;
      const known = new Set(data.chunks.map((c) => c.sha256));
      const newChunks = written.chunks.filter((c) => !known.has(c.sha256));
      const newDataset = origin !== undefined && !data.ingestedDatasets.includes(origin.datasetSha256);
      const changed = newChunks.length > 0 || entitiesChanged > 0 || newDataset;
      if (!changed && qualityEvents.length === 0) return undefined;
      // Only with rows: a batch whose every row was REJECTed has no event-time window.
      const materialized =
        written.rows === 0
          ? []
          : [
              newEvent(
                FeaturesMaterializedSchema,
                {
                  featureViewName: view.name,
                  team: view.team,
                  entityName: view.entityName,
                  startTime: toTimestamp(written.minTimeMs),
                  endTime: toTimestamp(written.maxTimeMs + 1),
                  rowsWritten: BigInt(written.rows),
                  ...(origin ? { dataset: origin.dataset, datasetUri: origin.datasetUri } : {}),
                },
                { source: 'flywheel/feature-store' },
              ),
            ];
      return {
        data: {
          ...data,
          chunks: [...data.chunks, ...newChunks],
          ingestedDatasets: newDataset
            ? [...data.ingestedDatasets, origin.datasetSha256]
            : data.ingestedDatasets,
          onlineRows: data.onlineRows + (toOnline ? written.rows : 0),
        },
        outbox: [...(changed ? materialized : []), ...qualityEvents].map(toOutboxEntry),
      };
    },
    options,
  );
  if (lostRace) {
    deps.log.info('dataset ingested into feature view by another writer meanwhile', {
      featureView: view.name,
      uri: origin?.datasetUri,
    });
  }
  return lostRace;
}

/** A digest of a batch of rows: the same rows give the same quality event ids. */
function digestOf(rows: readonly FeatureRowData[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify([row.key, row.timeMs, row.values]));
  return hash.digest('hex').slice(0, 32);
}
