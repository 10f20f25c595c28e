import { create } from '@bufbuild/protobuf';
import type { BlobStore } from '@flywheel/blobs';
import { AppError, type CallOptions } from '@flywheel/core';
import { type Value, ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { EntityDataframe } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import { chunksOverlapping, type OfflineStore } from '../storage/offline-store.ts';
import { latestWrites } from '../storage/point-in-time-join.ts';
import { keyFromCell, keyFromValue, mergeKeyTypes } from '../values/entity-keys.ts';
import { asOfTimeMs, parseEventTime } from '../values/event-times.ts';
import { inferValue, type KeyScalar, toValue, typeName } from '../values/feature-values.ts';
import type { FeatureViewRecord, JoinKeyRecord } from '../values/feature-view-records.ts';
import { timeSlice } from '../values/time-slice.ts';
import { readDataset } from './dataset-files.ts';
import { eventTimeColumn } from './dataset-rows.ts';

/** One entity row: the join keys the features need, the as-of time (epoch ms), pass-through cells. */
export interface FrameRow {
  readonly keys: Readonly<Record<string, KeyScalar>>;
  readonly timeMs: number;
  /** Aligned with {@link EntityFrame.passThrough}. */
  readonly columns: readonly Value[];
}

/** An entity dataframe, resolved. */
export interface EntityFrame {
  readonly passThrough: readonly string[];
  readonly rows: readonly FrameRow[];
  /** The view whose history is the frame, for `view_history`. */
  readonly historyView?: FeatureViewRecord;
}

export interface ResolveEntityFrameDeps {
  collections: FeatureStoreCollections;
  offline: OfflineStore;
  blobs: BlobStore;
  /** Dataset blobs over this many bytes are read as streams (default 512 MiB). */
  datasetStreamBytes?: number;
}

/**
 * Resolves an entity dataframe — inline rows, a dataset blob (join-key columns, `event_time`, the
 * rest passed through) or a view's history in [start, end) (the view's features passed through as
 * `<view>:<feature>`) — into rows keyed by `joinKeys` (every join key the requested features need,
 * with its type). Throws `invalid_argument` naming the field (`entity_dataframe.rows.rows[2].
 * entity_key.join_keys.station`, `entity_dataframe.dataset`, …) for a missing or mistyped key, a
 * pass-through column that collides with an output column, or a malformed file; `not_found` for an
 * unknown view or an absent blob.
 */
export async function resolveEntityFrame(
  deps: ResolveEntityFrameDeps,
  frame: EntityDataframe | undefined,
  joinKeys: readonly JoinKeyRecord[],
  reserved: ReadonlySet<string>,
  options: CallOptions = {},
): Promise<EntityFrame> {
  const source = frame?.source;
  const field = 'entity_dataframe';
  // A frame may have 100k rows: resolved in time slices, not in one event-loop turn.
  const pause = timeSlice();
  switch (source?.case) {
    case 'rows': {
      const at = `${field}.rows.rows`;
      const passThrough: string[] = [];
      const known = new Set<string>();
      for (const [i, row] of source.value.rows.entries()) {
        for (const name of Object.keys(row.columns)) {
          if (known.has(name)) continue;
          assertFree(name, reserved, `${at}[${i}].columns.${name}`);
          known.add(name);
          passThrough.push(name);
        }
      }
      const rows: FrameRow[] = [];
      for (const [i, row] of source.value.rows.entries()) {
        const keys: Record<string, KeyScalar> = {};
        for (const k of joinKeys) {
          keys[k.name] = keyFromValue(
            row.entityKey?.joinKeys[k.name],
            k,
            `${at}[${i}].entity_key.join_keys.${k.name}`,
          );
        }
        if (!row.eventTime) throw AppError.invalidArgument(`${at}[${i}].event_time`, 'is required');
        rows.push({
          keys,
          timeMs: asOfTimeMs(row.eventTime),
          columns: passThrough.map((c) => row.columns[c] ?? emptyValue),
        });
        await pause();
      }
      return { passThrough, rows };
    }
    case 'dataset': {
      const at = `${field}.dataset`;
      const table = await readDataset(deps.blobs, source.value, at, options, deps.datasetStreamBytes);
      const present = new Set(table.columns);
      for (const name of [...joinKeys.map((k) => k.name), eventTimeColumn]) {
        if (!present.has(name)) {
          throw AppError.invalidArgument(
            at,
            `the file has no column "${name}" (columns: ${table.columns.join(', ')})`,
          );
        }
      }
      const keyNames = new Set(joinKeys.map((k) => k.name));
      const passThrough = table.columns.filter((c) => c !== eventTimeColumn && !keyNames.has(c));
      for (const name of passThrough) assertFree(name, reserved, `${at} column ${name}`);
      const rows: FrameRow[] = [];
      for (const { line, cells } of table.rows) {
        const keys: Record<string, KeyScalar> = {};
        for (const k of joinKeys)
          keys[k.name] = keyFromCell(cells[k.name], k, `${at} line ${line}.${k.name}`);
        rows.push({
          keys,
          timeMs: parseEventTime(cells[eventTimeColumn], `${at} line ${line}.${eventTimeColumn}`, 'down'),
          columns: passThrough.map((c) => inferValue(cells[c], table.csv)),
        });
        await pause();
      }
      return { passThrough, rows };
    }
    case 'viewHistory': {
      const at = `${field}.view_history`;
      const { featureViewName, startTime, endTime } = source.value;
      const view = await loadFeatureView(
        deps.collections.views,
        featureViewName,
        options,
        `${at}.feature_view_name`,
      );
      const viewKeys = new Map(view.joinKeys.map((k) => [k.name, k]));
      for (const k of joinKeys) {
        const own = viewKeys.get(k.name);
        if (!own || mergeKeyTypes(own.valueType, k.valueType) === undefined) {
          throw AppError.invalidArgument(
            `${at}.feature_view_name`,
            `feature view ${view.name} is keyed by ${describeKeys(view.joinKeys)}; the requested features need ${describeKeys(joinKeys)}`,
          );
        }
      }
      const startMs = startTime ? asOfTimeMs(startTime) : null;
      const endMs = endTime ? asOfTimeMs(endTime) : null;
      if (startMs !== null && endMs !== null && endMs <= startMs) {
        throw AppError.invalidArgument(`${at}.end_time`, 'must be after start_time');
      }
      const passThrough = view.features.map((f) => `${view.name}:${f.name}`);
      for (const name of passThrough) assertFree(name, reserved, `${at}.feature_view_name`);
      const data = await deps.collections.viewData.get(view.name, options);
      const chunks = chunksOverlapping(data?.data.chunks ?? [], startMs, endMs === null ? null : endMs - 1);
      const history = await deps.offline.readHistory(view.name, chunks, options);
      const inWindow = await latestWrites(
        history.filter(
          (r) => (startMs === null || r.timeMs >= startMs) && (endMs === null || r.timeMs < endMs),
        ),
        pause,
      );
      const position = new Map(view.joinKeys.map((k, i) => [k.name, i]));
      const rows: FrameRow[] = [];
      for (const r of inWindow) {
        rows.push({
          keys: Object.fromEntries(joinKeys.map((k) => [k.name, r.key[position.get(k.name)!]!])),
          timeMs: r.timeMs,
          columns: view.features.map((f) => toValue(r.values[f.name], f.valueType)),
        });
        await pause();
      }
      return { passThrough, rows, historyView: view };
    }
    default:
      throw AppError.invalidArgument(field, 'is required: inline rows, a dataset or a view_history');
  }
}

const emptyValue: Value = create(ValueSchema);

function assertFree(name: string, reserved: ReadonlySet<string>, field: string): void {
  if (reserved.has(name)) {
    throw AppError.invalidArgument(
      field,
      `column "${name}" collides with a join key, event_time or a requested feature`,
    );
  }
}

function describeKeys(keys: readonly JoinKeyRecord[]): string {
  return `[${keys.map((k) => `${k.name} ${typeName(k.valueType)}`).join(', ')}]`;
}
