import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import {
  type GetServedRequestRequest,
  RouteRole,
  type ServedRequest,
  ServedRequestSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { type PredictionSample, predictionsOf } from './prediction-rows.ts';

/** How the version that answered was chosen: the role it played, or `pinned` (the request named it). */
export type ServedRoute = 'stable' | 'canary' | 'variant' | 'arm' | 'pinned';

/** One answered request as the journal keeps it: the prediction log's sample and how it was routed. */
export interface ServedRequestEntry {
  readonly sample: PredictionSample;
  /** Empty when the request ran in no trace. */
  readonly traceId: string;
  readonly route: ServedRoute;
  /** Shadow versions the request was offered to for mirroring. */
  readonly mirroredTo: readonly number[];
  readonly stableVersion: number;
}

/**
 * The recent answered requests of this replica, by request id and by trace id: what
 * `GetServedRequest` answers from. Every request is kept (not a sample), oldest forgotten first
 * once more than `capacityRows` rows are held; `record` only stores references, so the request
 * path pays a few map operations and rows are encoded only when asked for.
 */
export interface ServedRequests {
  record(entry: ServedRequestEntry): void;
  /** Newest first; empty when none is kept. */
  byRequestId(requestId: string): ServedRequest[];
  /** Every kept request of the trace, newest first. */
  byTraceId(traceId: string): ServedRequest[];
  /**
   * What GetServedRequest answers for its key, newest first.
   *
   * @throws AppError invalid_argument naming `request_id` when the key is missing or empty;
   *   not_found when no kept request has it (never seen, or forgotten).
   */
  find(key: GetServedRequestRequest['key']): ServedRequest[];
}

/** How errors and policies name what a key points at: `request "r-1"`, `trace "4bf9…"`. */
export function servedKeyName(key: GetServedRequestRequest['key']): string {
  return key.case === 'traceId' ? `trace "${key.value}"` : `request "${key.value ?? ''}"`;
}

/** Rows of one request returned at most: a large batch's first rows say what served it. */
export const maxRowsReturned = 100;

export function createServedRequests(options: { capacityRows: number }): ServedRequests {
  const { capacityRows } = options;
  /** Insertion order = age: the first entry is the oldest. */
  const entries = new Set<ServedRequestEntry>();
  const byRequest = new Map<string, ServedRequestEntry[]>();
  const byTrace = new Map<string, ServedRequestEntry[]>();
  let rows = 0;

  const index = (map: Map<string, ServedRequestEntry[]>, key: string, entry: ServedRequestEntry) => {
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  };
  const unindex = (map: Map<string, ServedRequestEntry[]>, key: string, entry: ServedRequestEntry) => {
    const list = map.get(key);
    if (!list) return;
    // The oldest entry of a key is always first: entries are forgotten oldest first.
    if (list[0] === entry) list.shift();
    else list.splice(list.indexOf(entry), 1);
    if (list.length === 0) map.delete(key);
  };
  const newestFirst = (list: readonly ServedRequestEntry[] | undefined): ServedRequest[] =>
    (list ?? []).map(toMessage).reverse();

  return {
    record(entry) {
      entries.add(entry);
      rows += Math.max(1, entry.sample.rows);
      index(byRequest, entry.sample.requestId, entry);
      if (entry.traceId) index(byTrace, entry.traceId, entry);
      for (const oldest of entries) {
        if (rows <= capacityRows || oldest === entry) break;
        entries.delete(oldest);
        rows -= Math.max(1, oldest.sample.rows);
        unindex(byRequest, oldest.sample.requestId, oldest);
        if (oldest.traceId) unindex(byTrace, oldest.traceId, oldest);
      }
    },
    byRequestId: (requestId) => newestFirst(byRequest.get(requestId)),
    byTraceId: (traceId) => newestFirst(byTrace.get(traceId)),
    find(key) {
      if (key.case === undefined || key.value === '') {
        throw AppError.invalidArgument(
          key.case === 'traceId' ? 'trace_id' : 'request_id',
          'is required: set request_id or trace_id',
        );
      }
      const found =
        key.case === 'traceId' ? newestFirst(byTrace.get(key.value)) : newestFirst(byRequest.get(key.value));
      if (found.length === 0) {
        throw new AppError(
          'not_found',
          `${servedKeyName(key)} was not served by this replica recently (it keeps the last ${capacityRows} rows answered)`,
        );
      }
      return found;
    },
  };
}

const roles: Record<ServedRoute, RouteRole> = {
  stable: RouteRole.STABLE,
  canary: RouteRole.CANARY,
  variant: RouteRole.VARIANT,
  arm: RouteRole.ARM,
  pinned: RouteRole.UNSPECIFIED,
};

function toMessage(entry: ServedRequestEntry): ServedRequest {
  const { sample } = entry;
  const seconds = sample.latencyNs / 1_000_000_000n;
  return create(ServedRequestSchema, {
    requestId: sample.requestId,
    traceId: entry.traceId,
    deploymentName: sample.deploymentName,
    team: sample.team,
    modelName: sample.modelName,
    modelVersion: BigInt(sample.modelVersion),
    route: roles[entry.route],
    mirroredTo: entry.mirroredTo.map(BigInt),
    stableVersion: BigInt(entry.stableVersion),
    time: timestampFromMs(sample.timeMs),
    latency: { seconds, nanos: Number(sample.latencyNs - seconds * 1_000_000_000n) },
    // The prediction log's own row encoding, so both read the same.
    rows: predictionsOf(sample, false)
      .slice(0, maxRowsReturned)
      .map((row) => ({
        rowIndex: row.rowIndex ?? 0,
        inputs: row.inputs ?? {},
        outputs: row.outputs ?? {},
        entityKey: row.servedFeatures?.entityKey ?? {},
        features: row.servedFeatures?.features ?? {},
      })),
  });
}
