import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError, type CallOptions } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import { FeaturesMaterializedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import type {
  MaterializationResultSchema,
  MaterializeRequest,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import { emptyViewData } from '../storage/offline-records.ts';
import { chunksOverlapping, type OfflineStore } from '../storage/offline-store.ts';
import type { OnlineStore } from '../storage/online-store.ts';
import { updateDocument } from '../storage/update-document.ts';
import { asOfTimeMs, toTimestamp } from '../values/event-times.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import type { BatchSourceHistory } from './batch-source-history.ts';
import type { IngestBatchSource } from './ingest-arrived-dataset.ts';

export interface MaterializeDeps {
  collections: FeatureStoreCollections;
  offline: OfflineStore;
  online: OnlineStore;
  /** Ingests a view's `source.batch.uri` (once) before it is materialized from the history. */
  ingestBatchSource: IngestBatchSource;
  /**
   * The first Materialize of a view from its Parquet batch source file in place, its offline
   * ingest after (unset: always ingest first, then materialize from the history).
   */
  history?: Pick<BatchSourceHistory, 'materializeFromFile' | 'ingestInBackground' | 'ingest'>;
  /** Clock for an unset end, epoch ms. */
  now?: () => number;
}

type Result = MessageInitShape<typeof MaterializationResultSchema>;

/** Copies the latest offline values in a window to the online store. */
export type MaterializeFeatureViews = (
  request: MaterializeRequest,
  options?: CallOptions,
) => Promise<Result[]>;

/**
 * Materialize: for each view (the named ones, else every online view), recomputes the online store
 * from the offline history in [start, end), after ingesting the view's `source.batch.uri` if it
 * names a blob not yet ingested (`failed_precondition` naming the view and uri when it cannot be) — unset start = since the view's last materialization
 * (the beginning the first time), unset end = now. Per entity and feature the latest value in the
 * window is written unless the online store already holds a newer one. Each view ends with one
 * write that moves its materialization mark and carries `features.materialized` (rows_written =
 * entities changed). `not_found` / `failed_precondition` naming `feature_view_names[i]` for an
 * unknown view or one that is not online; `invalid_argument` naming `end_time` for an empty window.
 */
export function createMaterializeFeatureViews(deps: MaterializeDeps): MaterializeFeatureViews {
  const { collections, offline, online } = deps;
  const now = deps.now ?? Date.now;
  return async (request, options = {}) => {
    const endMs = request.endTime ? asOfTimeMs(request.endTime) : now();
    const requestedStart = request.startTime ? asOfTimeMs(request.startTime) : null;
    if (requestedStart !== null && endMs <= requestedStart) {
      throw AppError.invalidArgument('end_time', 'must be after start_time');
    }
    let views: FeatureViewRecord[];
    if (request.featureViewNames.length > 0) {
      views = [];
      for (const [i, name] of request.featureViewNames.entries()) {
        const view = await loadFeatureView(collections.views, name, options, `feature_view_names[${i}]`);
        if (!view.online) {
          throw new AppError(
            'failed_precondition',
            `feature_view_names[${i}]: feature view ${name} is not online`,
            {
              field: `feature_view_names[${i}]`,
            },
          );
        }
        views.push(view);
      }
    } else {
      views = (await collections.views.find({}, { ...options, limit: 10_000 }))
        .map((d) => d.data)
        .filter((v) => v.online);
    }

    const results: Result[] = [];
    for (const view of views) {
      const held = (await collections.viewData.get(view.name, options))?.data ?? emptyViewData(view.name);
      const startMs = requestedStart ?? held.materializedUntilMs;
      const open = startMs === null || startMs < endMs;
      // First pass over a Parquet batch source: online from the file itself, its history after.
      const fromFile = open
        ? await deps.history?.materializeFromFile(view, held, startMs, endMs, options)
        : undefined;
      let written = fromFile?.entities ?? 0;
      if (!fromFile) {
        await (deps.history?.ingest ?? deps.ingestBatchSource)(view, options);
        const data = (await collections.viewData.get(view.name, options))?.data ?? emptyViewData(view.name);
        const chunks = chunksOverlapping(data.chunks, startMs, endMs - 1);
        if (open) {
          // One query per view in the offline store; the online store is fed a batch at a time.
          for await (const updates of offline.latestInWindow(view.name, chunks, startMs, endMs, options)) {
            written += await online.apply(view.name, updates, options);
          }
        }
      }
      const window = {
        ...(startMs === null ? {} : { startTime: toTimestamp(startMs) }),
        endTime: toTimestamp(endMs),
      };
      await updateDocument(
        collections.viewData,
        view.name,
        (current) => {
          const held = current?.data ?? emptyViewData(view.name);
          const event = newEvent(
            FeaturesMaterializedSchema,
            {
              featureViewName: view.name,
              team: view.team,
              entityName: view.entityName,
              ...window,
              rowsWritten: BigInt(written),
            },
            { source: 'flywheel/feature-store' },
          );
          return {
            data: {
              ...held,
              materializedUntilMs: Math.max(held.materializedUntilMs ?? endMs, endMs),
              onlineRows: held.onlineRows + written,
              ...(fromFile && !held.ingestedDatasets.includes(fromFile.sha256)
                ? { onlineBeforeHistory: [...(held.onlineBeforeHistory ?? []), fromFile.sha256] }
                : {}),
            },
            outbox: [toOutboxEntry(event)],
          };
        },
        options,
      );
      if (fromFile) deps.history!.ingestInBackground(view);
      results.push({ featureViewName: view.name, ...window, rowsWritten: BigInt(written) });
    }
    return results;
  };
}
