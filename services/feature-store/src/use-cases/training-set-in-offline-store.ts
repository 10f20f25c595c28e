import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlobRef, type BlobStore, parseBlobUri, withLocalBlobFile } from '@flywheel/blobs';
import type { CallOptions } from '@flywheel/core';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import type { CreateTrainingSetRequest } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { eventTimeColumn } from '../datasets/dataset-rows.ts';
import { resolveFeatureRefs } from '../storage/feature-refs.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { OfflineStore } from '../storage/offline-store.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import type { FeatureServices } from './feature-services.ts';
import { mergeJoinKeys } from './get-historical-features.ts';
import type { OnDemandFeatureViews } from './on-demand-feature-views.ts';
import { resolveRequest } from './resolve-requested-features.ts';

export interface TrainingSetInOfflineStoreDeps {
  collections: FeatureStoreCollections;
  onDemand: OnDemandFeatureViews;
  featureServices: FeatureServices;
  offline: OfflineStore;
  blobs: BlobStore;
  /** Waits until the views' batch sources are in their history (BatchSourceHistory.ready). */
  historyReady?: (views: readonly FeatureViewRecord[], options: CallOptions) => Promise<void>;
}

/** A training set the offline store wrote itself: its blob and what its record lists. */
export interface TrainingSetFile {
  readonly blob: BlobRef;
  readonly features: readonly string[];
  readonly columns: readonly string[];
  readonly rowCount: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly views: readonly FeatureViewRecord[];
  readonly featureService?: { readonly name: string; readonly version: number };
}

/** The training set of `request` written by the offline store, or undefined when it cannot take it. */
export type BuildTrainingSetInOfflineStore = (
  request: CreateTrainingSetRequest,
  options?: CallOptions,
) => Promise<TrainingSetFile | undefined>;

/**
 * CreateTrainingSet's fast path when the offline store joins files itself (`writeJoinedFile`, the
 * duckdb adapter): a Parquet training set from a Parquet dataset frame, of feature-view features
 * only (no on-demand ones). The frame blob is copied to a local file, DuckDB reads it, joins and
 * writes the answer, and the answer file is streamed into the blob store — no row becomes a
 * JavaScript object. The table is the one the in-process path builds, cell for cell. Undefined
 * (the caller builds the table in process, which also gives every error its message) for any
 * other request, or a frame the adapter does not take. Catalog errors (unknown feature or service)
 * are thrown as the in-process path throws them.
 */
export function createTrainingSetInOfflineStore(
  deps: TrainingSetInOfflineStoreDeps,
): BuildTrainingSetInOfflineStore | undefined {
  const { collections, offline, blobs } = deps;
  const writeJoinedFile = offline.writeJoinedFile;
  if (!writeJoinedFile) return undefined;
  return async (request, options = {}) => {
    const source = request.entityDataframe?.source;
    if (
      request.format !== DatasetFormat.PARQUET ||
      source?.case !== 'dataset' ||
      source.value.format !== DatasetFormat.PARQUET
    ) {
      return undefined;
    }
    let sha256: string;
    try {
      sha256 = parseBlobUri(source.value.uri, 'entity_dataframe.dataset.uri');
    } catch {
      return undefined;
    }
    const { requested, service } = await resolveRequest(deps, request, options);
    if (requested.onDemand.length > 0) return undefined;
    const { features, views } = await resolveFeatureRefs(collections.views, requested.viewRefs, {
      ...options,
      wildcards: true,
    });
    const joinKeys = mergeJoinKeys(views);
    if (!(await blobs.stat(sha256, options))) return undefined;
    await deps.historyReady?.(views, options);

    const outPath = join(tmpdir(), `flywheel-training-set-${randomUUID()}.parquet`);
    // The frame is read where the blob store keeps it when it can lend a local path (fs), else from a temporary copy.
    return withLocalBlobFile(blobs, sha256, options, async (framePath) => {
      try {
        const viewChunks = await Promise.all(
          views.map(async (view) => (await collections.viewData.get(view.name, options))?.data.chunks ?? []),
        );
        const written = await writeJoinedFile(
          {
            framePath,
            joinKeys,
            reserved: new Set([
              ...joinKeys.map((k) => k.name),
              eventTimeColumn,
              ...features.map((f) => f.ref),
            ]),
            views: views.map((view, i) => ({
              name: view.name,
              chunks: viewChunks[i]!,
              ttlMs: view.ttlMs,
              joinKeys: view.joinKeys.map((k) => k.name),
            })),
            features: features.map((f) => ({
              ref: f.ref,
              view: f.view.name,
              name: f.feature.name,
              valueType: f.feature.valueType,
            })),
            outPath,
          },
          options,
        );
        if (!written) return undefined;
        const blob = await blobs.put(createReadStream(outPath), {
          ...options,
          contentType: 'application/vnd.apache.parquet',
        });
        return {
          blob,
          features: features.map((f) => f.ref),
          columns: [
            ...joinKeys.map((k) => k.name),
            eventTimeColumn,
            ...written.passThrough,
            ...features.map((f) => f.ref),
          ],
          rowCount: written.rows,
          minTimeMs: written.minTimeMs,
          maxTimeMs: written.maxTimeMs,
          views,
          ...(service ? { featureService: { name: service.name, version: service.version.version } } : {}),
        };
      } finally {
        await rm(outPath, { force: true });
      }
    });
  };
}
