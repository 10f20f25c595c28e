import { createHash, randomUUID } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import type { BlobStore } from '@flywheel/blobs';
import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import {
  type CreateTrainingSetRequest,
  CreateTrainingSetRequestSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { currentAuditPrincipal } from '@flywheel/rpc';
import { encodeTable } from '../datasets/historical-table-encoding.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { TrainingSetRecord } from '../storage/training-set-records.ts';
import type { RetrieveServiceHistoricalFeatures } from './historical-features-with-on-demand.ts';
import type { BuildTrainingSetInOfflineStore, TrainingSetFile } from './training-set-in-offline-store.ts';

export interface CreateTrainingSetDeps {
  collections: FeatureStoreCollections;
  blobs: BlobStore;
  /** Also resolves `feature_service`, whose name and version the training set records. */
  retrieve: RetrieveServiceHistoricalFeatures;
  /** Owner when the request names no team. */
  defaultTeam: string;
  /** Writes the set without building the table in process when it can (the duckdb offline store). */
  inOfflineStore?: BuildTrainingSetInOfflineStore;
  now?: () => Date;
}

/** Builds a point-in-time correct training set, writes it to the blob store and records it. */
export type CreateTrainingSet = (
  request: CreateTrainingSetRequest,
  options?: CallOptions,
) => Promise<TrainingSetRecord>;

const contentTypes: Partial<Record<DatasetFormat, string>> = {
  [DatasetFormat.JSONL]: 'application/x-ndjson',
  [DatasetFormat.CSV]: 'text/csv',
  [DatasetFormat.PARQUET]: 'application/vnd.apache.parquet',
};

/** A written training set: a {@link TrainingSetFile}, without event times when it has no rows. */
interface WrittenSet extends Omit<TrainingSetFile, 'minTimeMs' | 'maxTimeMs'> {
  readonly minTimeMs: number | null;
  readonly maxTimeMs: number | null;
}

/**
 * CreateTrainingSet: the historical retrieval of the request, encoded (JSON Lines unless CSV or
 * PARQUET is asked; another format is `invalid_argument` naming `format`), put in the shared blob store and recorded
 * as `ts_…` with its blob, columns, row count, event-time range and the revisions of the views
 * read (written by the offline store itself when `inOfflineStore` takes the request, else built
 * in process). Idempotent on `request_id` (per team): a retry returns the recorded set; the same key with
 * a different request is `failed_precondition`.
 */
export function createCreateTrainingSet(deps: CreateTrainingSetDeps): CreateTrainingSet {
  const { collections, blobs, retrieve, defaultTeam } = deps;
  const now = deps.now ?? (() => new Date());
  return async (request, options = {}) => {
    if (
      ![DatasetFormat.UNSPECIFIED, DatasetFormat.JSONL, DatasetFormat.CSV, DatasetFormat.PARQUET].includes(
        request.format,
      )
    ) {
      throw AppError.invalidArgument('format', `unknown dataset format ${request.format}`);
    }
    const team = request.team || defaultTeam;
    const requestDigest = createHash('sha256')
      .update(
        toBinary(
          CreateTrainingSetRequestSchema,
          create(CreateTrainingSetRequestSchema, { ...request, requestId: '', team }),
        ),
      )
      .digest('hex');
    const id = request.requestId
      ? `ts_${createHash('sha256').update(`${team}\n${request.requestId}`).digest('hex').slice(0, 32)}`
      : `ts_${randomUUID().replaceAll('-', '')}`;

    const replay = async (): Promise<TrainingSetRecord | undefined> => {
      const existing = await collections.trainingSets.get(id, options);
      if (!existing) return undefined;
      if (existing.data.requestDigest !== requestDigest) {
        throw new AppError(
          'failed_precondition',
          `request_id "${request.requestId}" was already used for a different training set request (${id})`,
          { field: 'request_id' },
        );
      }
      return existing.data;
    };
    if (request.requestId) {
      const existing = await replay();
      if (existing) return existing;
    }

    const format = request.format === DatasetFormat.UNSPECIFIED ? DatasetFormat.JSONL : request.format;
    /** The table built in this process, encoded and put in the blob store. */
    const inProcess = async (): Promise<WrittenSet> => {
      const table = await retrieve(
        {
          features: request.features,
          entityDataframe: request.entityDataframe,
          ...(request.featureService ? { featureService: request.featureService } : {}),
        },
        options,
      );
      const bytes =
        format === DatasetFormat.PARQUET
          ? // DuckDB writes Parquet: loaded for the first Parquet training set, not at start-up.
            await (await import('../datasets/historical-table-parquet.ts')).encodeTableParquet(table)
          : encodeTable(table, format);
      const blob = await blobs.put(bytes, {
        ...options,
        contentType: contentTypes[format] ?? 'application/octet-stream',
      });
      return {
        blob,
        features: table.features.map((f) => f.ref),
        columns: table.columns,
        rowCount: table.rows.length,
        minTimeMs: table.minTimeMs,
        maxTimeMs: table.maxTimeMs,
        views: table.views,
        ...(table.featureService ? { featureService: table.featureService } : {}),
      };
    };
    const file = (await deps.inOfflineStore?.(request, options)) ?? (await inProcess());
    const record: TrainingSetRecord = {
      id,
      name: request.name,
      team,
      features: [...file.features],
      columns: [...file.columns],
      blob: { sha256: file.blob.sha256, sizeBytes: file.blob.size },
      format,
      rowCount: file.rowCount,
      minTimeMs: file.minTimeMs,
      maxTimeMs: file.maxTimeMs,
      featureViewRevisions: file.views.map((v) => [v.name, v.revision] as const),
      requestId: request.requestId,
      requestDigest,
      ...(file.featureService ? { featureService: file.featureService } : {}),
      createTime: now().toISOString(),
      createdBy: currentAuditPrincipal(),
    };
    try {
      await collections.trainingSets.put(id, record, { ...options, expectedVersion: 0 });
    } catch (error) {
      // A concurrent retry with the same request_id recorded it first: answer with that one.
      if (isAppError(error, 'already_exists')) {
        const existing = await replay();
        if (existing) return existing;
      }
      throw error;
    }
    return record;
  };
}
