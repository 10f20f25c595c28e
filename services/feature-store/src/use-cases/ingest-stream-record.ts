import type { EventHandler } from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import { WriteTarget } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { streamRecordRows } from '../datasets/stream-record-rows.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { WriteFeatureRows } from './write-feature-rows.ts';

export interface IngestStreamRecordDeps {
  collections: FeatureStoreCollections;
  write: WriteFeatureRows;
  /** How far past now a record's event time may be (`FLYWHEEL_FEATURE_STORE_MAX_FUTURE_SKEW`). */
  maxFutureSkewMs: number;
  log: Logger;
}

/**
 * The handler of one view's stream consumer (records delivered raw, see `records: 'raw'`): reads
 * the view as stored now, turns the record into its row ({@link streamRecordRows}) and writes it
 * through the one write path — offline, plus online when the view is online; expectations apply
 * as on every ingest (a REJECTed row is announced in `feature-rows.rejected`, not written). A bad
 * record is `invalid_argument` naming the record and field, so it goes to `<topic>.dlq` with that
 * reason at once; store outages are retriable and retried in place. A record of a view that no
 * longer exists or no longer reads this topic is skipped. Exactly once per record: the host's
 * dedupe by event id (the record's position) plus the content-addressed offline chunks and the
 * latest-wins online write make a redelivery after a crash converge to one effect.
 */
export function createIngestStreamRecord(viewName: string, deps: IngestStreamRecordDeps): EventHandler {
  const { collections, write, log } = deps;
  return async (event, { signal }) => {
    const view = (await collections.views.get(viewName, { signal }))?.data;
    if (!view || view.source?.stream?.topic !== event.type) {
      log.debug('stream record no longer read by its feature view, skipped', {
        featureView: viewName,
        record: event.id,
      });
      return;
    }
    let rows: ReturnType<typeof streamRecordRows>;
    try {
      rows = streamRecordRows(view, event, { nowMs: Date.now(), skewMs: deps.maxFutureSkewMs });
    } catch (error) {
      const cause = AppError.from(error);
      throw new AppError(cause.code, `feature view ${view.name}: ${cause.message}`, {
        cause,
        ...(cause.field === undefined ? {} : { field: cause.field }),
      });
    }
    await write(view, rows, WriteTarget.UNSPECIFIED, undefined, { signal });
  };
}
