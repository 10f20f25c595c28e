import { type CloudEvent, newEvent } from '@flywheel/events';
import {
  DataQualityViolatedSchema,
  FeatureRowsRejectedSchema,
  QualityCheckStage,
} from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import { type RejectedRow, type ViolationTally, violated, violationFields } from '@flywheel/quality';
import { toTimestamp } from '../values/event-times.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import { toValue } from '../values/feature-values.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';

const source = 'flywheel/feature-store';

const stages = {
  ingest: QualityCheckStage.INGEST,
  online_read: QualityCheckStage.ONLINE_READ,
  view: QualityCheckStage.VIEW,
} as const;

/** Rows per `feature-rows.rejected` event: keeps each event well under a broker's message limit. */
export const rejectedRowsPerEvent = 500;

/** Where the checked values came from. */
export interface QualityContext {
  readonly stage: 'ingest' | 'online_read' | 'view';
  /**
   * Makes the event ids: `<idBase>/dq/<expectation index>` and `<idBase>/rejected/<part>`. The same
   * batch must give the same base, so a retried write announces nothing twice.
   */
  readonly idBase: string;
  readonly dataset?: string;
  readonly datasetUri?: string;
  /** For online reads: the flush interval, epoch ms (ingest uses the batch's event times). */
  readonly intervalMs?: { readonly start: number; readonly end: number };
}

/** One `data-quality.violated` per violated expectation of `view`; none when all held. */
export function violationEvents(
  view: FeatureViewRecord,
  tallies: readonly ViolationTally[],
  context: QualityContext,
): CloudEvent[] {
  const expectations = view.expectations ?? [];
  const events: CloudEvent[] = [];
  tallies.forEach((tally, i) => {
    if (!violated(tally)) return;
    events.push(
      newEvent(
        DataQualityViolatedSchema,
        {
          ...violationFields(expectations[i]!, i, tally, context.intervalMs),
          featureViewName: view.name,
          team: view.team,
          stage: stages[context.stage],
          dataset: context.dataset ?? '',
          datasetUri: context.datasetUri ?? '',
        },
        { source, id: `${context.idBase}/dq/${i}` },
      ),
    );
  });
  return events;
}

/** The rejected rows as `feature-rows.rejected` events, {@link rejectedRowsPerEvent} rows each. */
export function rejectedRowEvents(
  view: FeatureViewRecord,
  rejected: readonly RejectedRow<FeatureRowData>[],
  context: QualityContext,
): CloudEvent[] {
  const events: CloudEvent[] = [];
  for (let at = 0, part = 0; at < rejected.length; at += rejectedRowsPerEvent, part++) {
    events.push(
      newEvent(
        FeatureRowsRejectedSchema,
        {
          featureViewName: view.name,
          team: view.team,
          rows: rejected.slice(at, at + rejectedRowsPerEvent).map(({ row, reasons }) => ({
            row: wireRow(view, row),
            reasons: [...reasons],
          })),
          batchRejectedCount: BigInt(rejected.length),
          dataset: context.dataset ?? '',
          datasetUri: context.datasetUri ?? '',
        },
        { source, id: `${context.idBase}/rejected/${part}` },
      ),
    );
  }
  return events;
}

/** A stored row back in the wire form Ingest takes, so a fixed row can be sent again. */
function wireRow(view: FeatureViewRecord, row: FeatureRowData) {
  const types = new Map(view.features.map((f) => [f.name, f.valueType]));
  return {
    entityKey: {
      joinKeys: Object.fromEntries(view.joinKeys.map((k, i) => [k.name, toValue(row.key[i]!, k.valueType)])),
    },
    eventTime: toTimestamp(row.timeMs),
    values: Object.fromEntries(
      Object.entries(row.values).map(([name, value]) => [name, toValue(value, types.get(name)!)]),
    ),
  };
}
