import { AppError, type CallOptions } from '@flywheel/core';
import type {
  IngestRequest,
  IngestStreamRequest,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import { validateFeatureRows } from '../values/validate-feature-rows.ts';
import type { WriteFeatureRows } from './write-feature-rows.ts';

export interface IngestRowsDeps {
  collections: FeatureStoreCollections;
  write: WriteFeatureRows;
  /** How far past now an event time may be, ms; later ones are `invalid_argument`. */
  maxFutureSkewMs: number;
  /** Clock, epoch ms. */
  now?: () => number;
}

/** What an Ingest call did: rows written, and rows a REJECT expectation refused. */
export interface IngestCounts {
  readonly rowsWritten: number;
  readonly rowsRejected: number;
}

/** The Ingest RPCs. */
export interface IngestRows {
  /**
   * Ingest: all-or-nothing. Every row is checked against the view first (`invalid_argument` naming
   * `rows[i].values.<feature>`, `rows[i].entity_key.join_keys.<key>` or `rows[i].event_time` past
   * now + `maxFutureSkewMs`), then all are written;
   * `not_found` naming `feature_view_name` for an unknown view. Well-typed rows that violate a
   * REJECT expectation are no error: they are left out and counted. Resolves the counts.
   */
  ingest(request: IngestRequest, options?: CallOptions): Promise<IngestCounts>;
  /**
   * IngestStream: each message is checked and written on its own, all-or-nothing; the first invalid
   * message fails the stream (earlier ones stay written). The first message must name the view;
   * later ones may leave it empty or repeat it. Resolves the counts over all messages.
   */
  ingestStream(requests: AsyncIterable<IngestStreamRequest>, options?: CallOptions): Promise<IngestCounts>;
}

/** The Ingest RPCs over the view catalog and the one write path. */
export function createIngestRows(deps: IngestRowsDeps): IngestRows {
  const { collections, write } = deps;
  const now = deps.now ?? Date.now;
  const limit = () => ({ nowMs: now(), skewMs: deps.maxFutureSkewMs });
  return {
    async ingest(request, options = {}) {
      const view = await loadFeatureView(
        collections.views,
        request.featureViewName,
        options,
        'feature_view_name',
      );
      const rows = validateFeatureRows(view, request.rows, limit());
      const { rowsWritten, rowsRejected } = await write(view, rows, request.target, undefined, options);
      return { rowsWritten, rowsRejected };
    },

    async ingestStream(requests, options = {}) {
      let view: FeatureViewRecord | undefined;
      let rowsWritten = 0;
      let rowsRejected = 0;
      let index = 0;
      for await (const message of requests) {
        const name = message.featureViewName;
        if (!view) {
          if (name === '')
            throw AppError.invalidArgument('feature_view_name', 'is required on the first message');
          view = await loadFeatureView(collections.views, name, options, 'feature_view_name');
        } else if (name !== '' && name !== view.name) {
          throw AppError.invalidArgument(
            'feature_view_name',
            `message ${index}: is "${name}" but the stream writes feature view ${view.name}`,
          );
        }
        let rows: ReturnType<typeof validateFeatureRows>;
        try {
          rows = validateFeatureRows(view, message.rows, limit());
        } catch (error) {
          const cause = AppError.from(error);
          throw new AppError(cause.code, `message ${index}: ${cause.message}`, {
            cause,
            ...(cause.field === undefined ? {} : { field: cause.field }),
          });
        }
        const result = await write(view, rows, message.target, undefined, options);
        rowsWritten += result.rowsWritten;
        rowsRejected += result.rowsRejected;
        index++;
      }
      return { rowsWritten, rowsRejected };
    },
  };
}
