import type { IncomingMessage, ServerResponse } from 'node:http';
import { create, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import { type Value, ValueSchema } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStatus,
  GetOnlineFeaturesRequestSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { httpMethodNotAllowed, readHttpJsonObject, sendHttpJson } from '@flywheel/rpc';
import type { GetOnlineFeatures } from '../use-cases/get-online-features.ts';
import { jsonOfValue } from '../values/feature-values.ts';

export interface FeastHttpApiDeps {
  getOnlineFeatures: GetOnlineFeatures;
  /** Largest request body accepted, bytes (HTTP 413 beyond). */
  maxBodyBytes: number;
}

/** Feast's statuses by ours: EXPIRED is Feast's OUTSIDE_MAX_AGE. */
const feastStatus: Record<FeatureStatus, string> = {
  [FeatureStatus.UNSPECIFIED]: 'INVALID',
  [FeatureStatus.PRESENT]: 'PRESENT',
  [FeatureStatus.NULL_VALUE]: 'NULL_VALUE',
  [FeatureStatus.NOT_FOUND]: 'NOT_FOUND',
  [FeatureStatus.EXPIRED]: 'OUTSIDE_MAX_AGE',
};

const requestFields = new Set(['features', 'feature_service', 'entities', 'full_feature_names']);
// What Feast answers for a join key column and a feature never written.
const epoch = '1970-01-01T00:00:00Z';

/**
 * The HTTP/JSON online API in the shape of Feast's feature server: `GET /health`, and
 * `POST /get-online-features` with `{features: ["view:feature", …], entities: {join_key: [v, …]},
 * full_feature_names?}` answered column by column as `{metadata: {feature_names}, results:
 * [{values, statuses, event_timestamps}]}` — the join keys first (as given, PRESENT, epoch time),
 * then each feature (`feature`, or `view__feature` with full_feature_names) over all entities.
 * As Feast's: `feature_service: "name"` (its latest version) instead of `features`, and the
 * request data of on-demand views as further `entities` columns (not answered back); a column
 * that is neither is refused. Errors are `{error, field}` with 400 / 404 / 413…; unknown fields
 * are refused.
 */
export function createFeastHttpApi(
  deps: FeastHttpApiDeps,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://server').pathname;
    const method = req.method ?? 'GET';
    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') throw httpMethodNotAllowed(method, path, 'GET');
      return sendHttpJson(res, 200, { status: 'SERVING' });
    }
    if (path !== '/get-online-features') throw new AppError('not_found', `no route for ${method} ${path}`);
    if (method !== 'POST') throw httpMethodNotAllowed(method, path, 'POST');
    const body = await readHttpJsonObject(req, deps.maxBodyBytes);
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort(new AppError('cancelled', 'the HTTP client went away'));
    });
    sendHttpJson(res, 200, await getOnlineFeaturesJson(body, deps.getOnlineFeatures, aborted.signal));
  };
}

async function getOnlineFeaturesJson(
  body: Record<string, unknown>,
  getOnlineFeatures: GetOnlineFeatures,
  signal: AbortSignal,
): Promise<unknown> {
  for (const key of Object.keys(body)) {
    if (!requestFields.has(key)) {
      throw AppError.invalidArgument(key, 'is not a field of a get-online-features request');
    }
  }
  const service = body.feature_service;
  if (service !== undefined && (typeof service !== 'string' || service === '')) {
    throw AppError.invalidArgument('feature_service', 'must be the name of a feature service');
  }
  const { entities } = body;
  const features = body.features ?? [];
  if (!Array.isArray(features) || (features.length === 0 && service === undefined)) {
    throw AppError.invalidArgument(
      'features',
      'is required: a list of "view:feature" references (or give a feature_service)',
    );
  }
  features.forEach((ref, i) => {
    if (typeof ref !== 'string') throw AppError.invalidArgument(`features[${i}]`, 'must be a string');
  });
  const fullNames = body.full_feature_names ?? false;
  if (typeof fullNames !== 'boolean') {
    throw AppError.invalidArgument('full_feature_names', 'must be true or false');
  }
  if (typeof entities !== 'object' || entities === null || Array.isArray(entities)) {
    throw AppError.invalidArgument('entities', 'is required: an object {join_key: [values…]}');
  }
  const columns = Object.entries(entities as Record<string, unknown>);
  if (columns.length === 0) throw AppError.invalidArgument('entities', 'names no join key');
  let count: number | undefined;
  for (const [key, values] of columns) {
    if (!Array.isArray(values)) throw AppError.invalidArgument(`entities.${key}`, 'must be a list');
    if (count !== undefined && values.length !== count) {
      throw AppError.invalidArgument(
        `entities.${key}`,
        `has ${values.length} values, but ${columns[0]![0]} has ${count}`,
      );
    }
    count = values.length;
  }
  const entityKeys = Array.from({ length: count! }, (_, i) => ({
    joinKeys: Object.fromEntries(
      columns.map(([key, values]) => [key, entityValue((values as unknown[])[i], `entities.${key}[${i}]`)]),
    ),
  }));
  let answer: Awaited<ReturnType<GetOnlineFeatures>>;
  // Columns that carried request data only: Feast answers without them.
  let requestOnly: ReadonlySet<string> = new Set();
  try {
    answer = await getOnlineFeatures(
      create(GetOnlineFeaturesRequestSchema, {
        features: features as string[],
        entityKeys,
        includeEventTimes: true,
        ...(service === undefined ? {} : { featureService: { name: service as string, version: 0n } }),
      }),
      {
        signal,
        requestDataFromEntityKeys: (names) => {
          requestOnly = names;
        },
      },
    );
  } catch (error) {
    throw renamed(AppError.from(error));
  }
  const names = (answer.featureNames ?? []).map((ref) => {
    const [view, feature] = ref.split(':') as [string, string];
    return fullNames ? `${view}__${feature}` : feature;
  });
  const clash = names.find((name, i) => names.indexOf(name) !== i);
  if (clash !== undefined) {
    throw AppError.invalidArgument(
      'full_feature_names',
      `two features are both named "${clash}"; set full_feature_names to tell them apart`,
    );
  }
  const vectors = answer.results ?? [];
  const keyColumns = columns.filter(([key]) => !requestOnly.has(key));
  // Event times repeat (every feature of a row written at once): format each once.
  const timeTexts = new Map<string, string>();
  const timeText = (init: MessageInitShape<typeof TimestampSchema> | undefined) => {
    const time = create(TimestampSchema, init);
    if (time.seconds === 0n && time.nanos === 0) return epoch;
    const key = `${time.seconds}.${time.nanos}`;
    let text = timeTexts.get(key);
    if (text === undefined) {
      text = toJson(TimestampSchema, time) as string;
      timeTexts.set(key, text);
    }
    return text;
  };
  return {
    metadata: { feature_names: [...keyColumns.map(([key]) => key), ...names] },
    results: [
      ...keyColumns.map(([, values]) => ({
        values,
        statuses: (values as unknown[]).map(() => 'PRESENT'),
        event_timestamps: (values as unknown[]).map(() => epoch),
      })),
      ...names.map((_, f) => ({
        values: vectors.map((v) => jsonOfValue(create(ValueSchema, v.values![f]))),
        statuses: vectors.map((v) => feastStatus[v.statuses![f]!]),
        event_timestamps: vectors.map((v) => timeText(v.eventTimes?.[f])),
      })),
    ],
  };
}

/** A JSON entity value as a wire Value: integers as INT64, other numbers DOUBLE. */
function entityValue(raw: unknown, field: string): Value {
  if (typeof raw === 'string') return create(ValueSchema, { kind: { case: 'stringValue', value: raw } });
  if (typeof raw === 'boolean') return create(ValueSchema, { kind: { case: 'boolValue', value: raw } });
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) {
    return create(ValueSchema, { kind: { case: 'int64Value', value: BigInt(raw) } });
  }
  if (typeof raw === 'number' && Number.isFinite(raw)) {
    return create(ValueSchema, { kind: { case: 'doubleValue', value: raw } });
  }
  throw AppError.invalidArgument(
    field,
    `must be a string, an integer or a boolean, got ${JSON.stringify(raw)}`,
  );
}

/** The use case names gRPC fields (`entity_keys[3].join_keys.station`); say them as sent here. */
function renamed(error: AppError): AppError {
  const match = /^(?:entity_keys\[(\d+)\]\.join_keys|request_data\[(\d+)\]\.values)\.(.+)$/.exec(
    error.field ?? '',
  );
  if (!match) return error;
  const field = `entities.${match[3]}[${match[1] ?? match[2]}]`;
  const message = error.message.startsWith(error.field!)
    ? field + error.message.slice(error.field!.length)
    : error.message;
  return new AppError(error.code, message, { field, details: error.details, retriable: error.retriable });
}
