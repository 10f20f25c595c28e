import { AppError, type CallOptions } from '@flywheel/core';
import type { EntityDataframe } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { answerTooLarge } from '@flywheel/rpc';
import { eventTimeColumn } from '../datasets/dataset-rows.ts';
import { type ResolveEntityFrameDeps, resolveEntityFrame } from '../datasets/entity-dataframe.ts';
import type { HistoricalTable, HistoricalTableRow } from '../datasets/historical-table.ts';
import { resolveFeatureRefs } from '../storage/feature-refs.ts';
import { chunksOverlapping, type JoinedValues } from '../storage/offline-store.ts';
import type { AsOf } from '../storage/point-in-time-join.ts';
import { keyIdOf, mergeKeyTypes } from '../values/entity-keys.ts';
import { typeName } from '../values/feature-values.ts';
import type { FeatureViewRecord, JoinKeyRecord } from '../values/feature-view-records.ts';
import { timeSlice } from '../values/time-slice.ts';

export interface HistoricalFeaturesQuery {
  readonly features: readonly string[];
  readonly entityDataframe: EntityDataframe | undefined;
  /**
   * When the answer is sent as one message: its limit, bytes. A frame whose rows alone could not
   * fit (≥ 2 bytes per row and per cell) is refused before any history is read.
   */
  readonly maxAnswerBytes?: number;
}

/** Builds the point-in-time correct table of a query. */
export type RetrieveHistoricalFeatures = (
  query: HistoricalFeaturesQuery,
  options?: CallOptions,
) => Promise<HistoricalTable>;

/**
 * For each entity row (keys + as-of time) and each requested feature: the value of the latest row
 * of that entity with event time ≤ the row's time and ≥ the row's time − the view's TTL, else null;
 * never a value from after the row's time. Reads only the offline chunks whose event-time range
 * meets [earliest row − TTL, latest row], then joins each view in the offline store (`joinAsOf`).
 * Errors: see {@link resolveFeatureRefs} and {@link resolveEntityFrame}; join keys of one name
 * with conflicting types across views are `invalid_argument` naming `features`.
 */
export function createRetrieveHistoricalFeatures(
  deps: ResolveEntityFrameDeps & {
    /** Waits until the views' batch sources are in their history (BatchSourceHistory.ready). */
    historyReady?: (views: readonly FeatureViewRecord[], options: CallOptions) => Promise<void>;
  },
): RetrieveHistoricalFeatures {
  const { collections, offline } = deps;
  return async (query, options = {}) => {
    const { features, views } = await resolveFeatureRefs(collections.views, query.features, {
      ...options,
      wildcards: true,
    });
    await deps.historyReady?.(views, options);
    const joinKeys = mergeJoinKeys(views);
    const reserved = new Set([
      ...joinKeys.map((k) => k.name),
      eventTimeColumn,
      ...features.map((f) => f.ref),
    ]);
    const frame = await resolveEntityFrame(deps, query.entityDataframe, joinKeys, reserved, options);
    if (query.maxAnswerBytes !== undefined) {
      const columns = joinKeys.length + 1 + frame.passThrough.length + features.length;
      const atLeast = frame.rows.length * (2 + 2 * columns);
      if (atLeast > query.maxAnswerBytes) {
        throw answerTooLarge({
          bytes: `at least ${atLeast}`,
          maxBytes: query.maxAnswerBytes,
          setting: 'FLYWHEEL_MAX_MESSAGE_BYTES',
          hint: {
            field: 'entity_dataframe',
            instead: `its ${frame.rows.length} rows × ${columns} columns do not fit; use StreamHistoricalFeatures, which sends the rows in messages under the limit, CreateTrainingSet, which writes them to a blob, or a smaller entity_dataframe`,
          },
        });
      }
    }

    let minTimeMs: number | null = null;
    let maxTimeMs: number | null = null;
    for (const row of frame.rows) {
      minTimeMs = minTimeMs === null ? row.timeMs : Math.min(minTimeMs, row.timeMs);
      maxTimeMs = maxTimeMs === null ? row.timeMs : Math.max(maxTimeMs, row.timeMs);
    }

    const pause = timeSlice();
    const matchesByView = new Map<string, (JoinedValues | undefined)[]>();
    for (const view of views) {
      if (frame.rows.length === 0) {
        matchesByView.set(view.name, []);
        continue;
      }
      const data = await collections.viewData.get(view.name, options);
      const from = view.ttlMs === null ? null : minTimeMs! - view.ttlMs;
      const chunks = chunksOverlapping(data?.data.chunks ?? [], from, maxTimeMs);
      const lookups: AsOf[] = [];
      for (const row of frame.rows) {
        lookups.push({ keyId: keyIdOf(view.joinKeys.map((k) => row.keys[k.name]!)), timeMs: row.timeMs });
        await pause();
      }
      const wanted = features.filter((f) => f.view.name === view.name).map((f) => f.feature.name);
      matchesByView.set(
        view.name,
        await offline.joinAsOf(view.name, chunks, lookups, view.ttlMs, { ...options, features: wanted }),
      );
    }

    const matches = features.map((f) => matchesByView.get(f.view.name)!);
    const rows: HistoricalTableRow[] = [];
    for (const [i, row] of frame.rows.entries()) {
      rows.push({
        frame: row,
        features: features.map((f, j) => matches[j]![i]?.[f.feature.name] ?? null),
      });
      await pause();
    }
    const viewsRead =
      frame.historyView && !views.some((v) => v.name === frame.historyView!.name)
        ? [...views, frame.historyView]
        : views;
    return {
      joinKeys,
      passThrough: frame.passThrough,
      features,
      columns: [
        ...joinKeys.map((k) => k.name),
        eventTimeColumn,
        ...frame.passThrough,
        ...features.map((f) => f.ref),
      ],
      rows,
      views: viewsRead,
      minTimeMs,
      maxTimeMs,
    };
  };
}

/** The join keys of `views`, one per name with the type that accepts all its declarations. */
export function mergeJoinKeys(views: readonly FeatureViewRecord[]): JoinKeyRecord[] {
  const merged = new Map<string, { key: JoinKeyRecord; view: string }>();
  for (const view of views) {
    for (const key of view.joinKeys) {
      const held = merged.get(key.name);
      if (!held) {
        merged.set(key.name, { key, view: view.name });
        continue;
      }
      const type = mergeKeyTypes(held.key.valueType, key.valueType);
      if (type === undefined) {
        throw AppError.invalidArgument(
          'features',
          `join key ${key.name} is ${typeName(held.key.valueType)} in feature view ${held.view} but ${typeName(key.valueType)} in ${view.name}`,
        );
      }
      merged.set(key.name, { key: { name: key.name, valueType: type }, view: held.view });
    }
  }
  return [...merged.values()].map((m) => m.key);
}
