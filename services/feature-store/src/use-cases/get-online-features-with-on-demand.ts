import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { Value } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStatus,
  type GetOnlineFeaturesRequest,
  GetOnlineFeaturesRequestSchema,
  GetOnlineFeaturesResponseSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import { toTimestamp } from '../values/event-times.ts';
import { checkValue, type StoredValue, toValue } from '../values/feature-values.ts';
import type { FeatureServices } from './feature-services.ts';
import type { GetOnlineFeatures, OnlineLookupOptions } from './get-online-features.ts';
import type { OnDemandFeatureViews, ResolvedOnDemandView } from './on-demand-feature-views.ts';
import { type RequestedFeatures, resolveRequest } from './resolve-requested-features.ts';

export interface OnDemandOnlineDeps {
  collections: FeatureStoreCollections;
  onDemand: OnDemandFeatureViews;
  featureServices: FeatureServices;
  /** The feature-view-only lookup. */
  inner: GetOnlineFeatures;
}

/**
 * GetOnlineFeatures with feature services and on-demand features: the feature list is `features`
 * or the `feature_service` version's; feature view features are looked up by `inner`, and each
 * on-demand feature is computed per entity by its compiled expression from the online values of
 * its sources (null unless PRESENT) and `request_data[i]` (checked against the view's
 * request_schema). Its status is PRESENT, or NULL_VALUE when the expression gives null; its event
 * time the latest of its sources'. Errors: `request_data` of another length than entity_keys; a
 * request field an expression reads but `request_data[i].values` lacks is `invalid_argument`
 * naming `request_data[i].values.<name>`; plus those of {@link resolveRequest} and `inner`.
 */
export function createGetOnlineFeaturesWithOnDemand(deps: OnDemandOnlineDeps): GetOnlineFeatures {
  return async (asked, callOptions = {}) => {
    let request = asked;
    let options = callOptions;
    const { requested } = await resolveRequest(deps, request, options);
    if (options.requestDataFromEntityKeys) {
      request = await withRequestDataFromEntityKeys(deps, request, requested, options);
      const { requestDataFromEntityKeys: _, ...rest } = options;
      options = rest;
    }
    const entities = request.entityKeys.length;
    if (request.requestData.length !== 0 && request.requestData.length !== entities) {
      throw AppError.invalidArgument(
        'request_data',
        `has ${request.requestData.length} entries for ${entities} entity keys: give one per entity key`,
      );
    }
    const lookup = async (features: readonly string[], includeEventTimes: boolean) =>
      features.length === 0
        ? undefined
        : create(
            GetOnlineFeaturesResponseSchema,
            await deps.inner(
              create(GetOnlineFeaturesRequestSchema, {
                features: [...features],
                entityKeys: request.entityKeys,
                includeEventTimes,
              }),
              options,
            ),
          );
    const sourcesNeeded = requested.onDemand.length > 0;
    // One lookup of the requested view features and the on-demand sources not among them.
    const all = [...requested.viewRefs, ...requested.extraSourceRefs];
    const answer = await lookup(all, request.includeEventTimes || sourcesNeeded);
    const column = new Map(all.map((ref, c) => [ref, c]));
    const requestValues = requested.onDemand.map((view) =>
      requestInputs(
        view,
        view.compiled.requestFieldsOf(requested.onDemandIndexes.get(view)!),
        request,
        entities,
      ),
    );
    const computed = requested.onDemand.map((view, v) =>
      Array.from({ length: entities }, (_, i) => {
        const result = answer?.results[i];
        const outputs = view.compiled.computeRow((input) => {
          if (input.kind === 'request') return requestValues[v]![i]![input.name] ?? null;
          const c = column.get(`${input.view}:${input.feature}`)!;
          return result?.statuses[c] === FeatureStatus.PRESENT
            ? storedOf(result.values[c], view, input)
            : null;
        }, requested.onDemandIndexes.get(view));
        let latest = 0;
        for (const ref of view.compiled.sourceRefs) {
          const time = result?.eventTimes[column.get(ref)!];
          if (time) latest = Math.max(latest, Number(timestampMs(time)));
        }
        return { outputs, latest };
      }),
    );
    const onDemandIndex = new Map(requested.onDemand.map((view, v) => [view, v]));
    return {
      featureNames: requested.columns.map((c) => c.ref),
      results: request.entityKeys.map((_, i) => {
        const values: Value[] = [];
        const statuses: FeatureStatus[] = [];
        const eventTimes = [];
        const result = answer?.results[i];
        for (const c of requested.columns) {
          if (c.kind === 'view') {
            const at = column.get(c.ref)!;
            values.push(result!.values[at]!);
            statuses.push(result!.statuses[at]!);
            if (request.includeEventTimes) eventTimes.push(result!.eventTimes[at]!);
            continue;
          }
          const row = computed[onDemandIndex.get(c.view)!]![i]!;
          const value = row.outputs[c.index]!;
          values.push(toValue(value, c.view.record.features[c.index]!.valueType));
          statuses.push(value === null ? FeatureStatus.NULL_VALUE : FeatureStatus.PRESENT);
          if (request.includeEventTimes) eventTimes.push(toTimestamp(row.latest));
        }
        return { values, statuses, eventTimes };
      }),
    };
  };
}

/**
 * `request` with the request fields its on-demand views read moved from the entity key maps to
 * `request_data` (see {@link OnlineLookupOptions.requestDataFromEntityKeys}).
 */
async function withRequestDataFromEntityKeys(
  deps: OnDemandOnlineDeps,
  request: GetOnlineFeaturesRequest,
  requested: RequestedFeatures,
  options: OnlineLookupOptions,
): Promise<GetOnlineFeaturesRequest> {
  const requestFields = new Set<string>();
  for (const view of requested.onDemand) {
    for (const name of view.compiled.requestFieldsOf(requested.onDemandIndexes.get(view)!)) {
      requestFields.add(name);
    }
  }
  const joinKeys = new Set<string>();
  const views = new Set(requested.columns.flatMap((c) => (c.kind === 'view' ? [c.resolved.view] : [])));
  for (const ref of requested.extraSourceRefs) {
    views.add(await loadFeatureView(deps.collections.views, ref.split(':')[0]!, options));
  }
  for (const view of views) for (const key of view.joinKeys) joinKeys.add(key.name);
  for (const name of Object.keys(request.entityKeys[0]?.joinKeys ?? {})) {
    if (joinKeys.has(name) || requestFields.has(name)) continue;
    throw AppError.invalidArgument(
      `entity_keys[0].join_keys.${name}`,
      `is neither a join key of the features requested (${[...joinKeys].join(', ') || 'none'}) nor request data of their on-demand views (${[...requestFields].join(', ') || 'none'})`,
    );
  }
  options.requestDataFromEntityKeys!(new Set([...requestFields].filter((name) => !joinKeys.has(name))));
  if (requestFields.size === 0) return request;
  return create(GetOnlineFeaturesRequestSchema, {
    features: request.features,
    ...(request.featureService ? { featureService: request.featureService } : {}),
    includeEventTimes: request.includeEventTimes,
    entityKeys: request.entityKeys.map((entity) => ({
      joinKeys: Object.fromEntries(Object.entries(entity.joinKeys).filter(([name]) => joinKeys.has(name))),
    })),
    requestData: request.entityKeys.map((entity) => ({
      values: Object.fromEntries(Object.entries(entity.joinKeys).filter(([name]) => requestFields.has(name))),
    })),
  });
}

/** A looked-up value in stored form, by the type the view recorded for that source. */
function storedOf(
  value: Value | undefined,
  view: ResolvedOnDemandView,
  input: { view: string; feature: string },
): StoredValue {
  const source = view.record.sourceFeatures.find(
    (s) => s.view === input.view && s.feature === input.feature,
  )!;
  return checkValue(value, source.valueType, `${input.view}:${input.feature}`);
}

/** Per entity row, the request fields the view reads, checked against its request_schema. */
function requestInputs(
  view: ResolvedOnDemandView,
  fields: readonly string[],
  request: GetOnlineFeaturesRequest,
  entities: number,
): Record<string, StoredValue>[] {
  const types = new Map(view.record.requestSchema.map((r) => [r.name, r.valueType]));
  return Array.from({ length: entities }, (_, i) => {
    const given = request.requestData[i]?.values ?? {};
    const out: Record<string, StoredValue> = {};
    for (const name of fields) {
      const at = `request_data[${i}].values.${name}`;
      if (!(name in given)) {
        throw AppError.invalidArgument(
          at,
          `is required: on-demand feature view ${view.record.name} reads request.${name}`,
        );
      }
      out[name] = checkValue(given[name], types.get(name)!, at);
    }
    return out;
  });
}
