import { AppError, type CallOptions } from '@flywheel/core';
import type { FeatureServiceRef } from '@flywheel/proto/flywheel/featurestore/v1/feature_service_pb.js';
import { type ResolvedFeature, resolveFeatureRefs } from '../storage/feature-refs.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { FeatureServices, FeatureServiceVersion } from './feature-services.ts';
import type { OnDemandFeatureViews, ResolvedOnDemandView } from './on-demand-feature-views.ts';

/** One output column of a request: a feature view's feature or an on-demand feature. */
export type RequestedColumn =
  | { readonly kind: 'view'; readonly ref: string; readonly resolved: ResolvedFeature }
  | {
      readonly kind: 'on_demand';
      readonly ref: string;
      readonly view: ResolvedOnDemandView;
      readonly index: number;
    };

/** A request's feature list, resolved against both catalogs. */
export interface RequestedFeatures {
  /** In request order, wildcards expanded. */
  readonly columns: readonly RequestedColumn[];
  /** The requested feature view features, `<view>:<feature>`, in order. */
  readonly viewRefs: readonly string[];
  /** The on-demand views requested, in order of first reference. */
  readonly onDemand: readonly ResolvedOnDemandView[];
  /** Per on-demand view, the indexes of its features requested. */
  readonly onDemandIndexes: ReadonlyMap<ResolvedOnDemandView, ReadonlySet<number>>;
  /** Feature view features the on-demand views read that were not requested themselves. */
  readonly extraSourceRefs: readonly string[];
}

const viewOf = /^([a-z_][a-z0-9_]*):(\*|[A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Resolves `"<view>:<feature>"` / `"<view>:*"` references where `<view>` is a feature view or an
 * on-demand feature view. Errors as {@link resolveFeatureRefs}, naming `<field>[i]`.
 */
export async function resolveRequestedFeatures(
  deps: { collections: FeatureStoreCollections; onDemand: OnDemandFeatureViews },
  refs: readonly string[],
  field: string,
  options: CallOptions = {},
): Promise<RequestedFeatures> {
  const onDemandByName = new Map<string, ResolvedOnDemandView>();
  for (const ref of refs) {
    const name = viewOf.exec(ref)?.[1];
    if (name === undefined || onDemandByName.has(name)) continue;
    const found = await deps.onDemand.find(name, options);
    if (found) onDemandByName.set(name, found);
  }
  const { features } = await resolveFeatureRefs(deps.collections.views, refs, {
    ...options,
    field,
    wildcards: true,
    skipViews: new Set(onDemandByName.keys()),
  });
  const columns: RequestedColumn[] = [];
  const seen = new Set<string>();
  let next = 0;
  for (const [i, ref] of refs.entries()) {
    const [, name, feature] = viewOf.exec(ref) as unknown as [string, string, string];
    const onDemand = onDemandByName.get(name);
    if (!onDemand) {
      // resolveFeatureRefs kept request order: a wildcard is the whole view, else one feature.
      const count = feature === '*' ? features[next]!.view.features.length : 1;
      for (const resolved of features.slice(next, next + count)) {
        columns.push({ kind: 'view', ref: resolved.ref, resolved });
      }
      next += count;
      continue;
    }
    const declared = onDemand.record.features;
    const indexes =
      feature === '*' ? declared.map((_, k) => k) : [declared.findIndex((f) => f.name === feature)];
    if (indexes[0] === -1) {
      throw AppError.invalidArgument(
        `${field}[${i}]`,
        `on-demand feature view ${name} has no feature "${feature}" (features: ${declared.map((f) => f.name).join(', ')})`,
      );
    }
    for (const index of indexes) {
      const full = `${name}:${declared[index]!.name}`;
      if (seen.has(full)) throw AppError.invalidArgument(`${field}[${i}]`, `${full} is requested twice`);
      seen.add(full);
      columns.push({ kind: 'on_demand', ref: full, view: onDemand, index });
    }
  }
  const viewRefs = columns.filter((c) => c.kind === 'view').map((c) => c.ref);
  const requested = new Set(viewRefs);
  const onDemand = [...new Set(columns.flatMap((c) => (c.kind === 'on_demand' ? [c.view] : [])))];
  const extra = new Set<string>();
  for (const view of onDemand) {
    for (const ref of view.compiled.sourceRefs) if (!requested.has(ref)) extra.add(ref);
  }
  const onDemandIndexes = new Map<ResolvedOnDemandView, Set<number>>();
  for (const c of columns) {
    if (c.kind !== 'on_demand') continue;
    const set = onDemandIndexes.get(c.view) ?? new Set<number>();
    set.add(c.index);
    onDemandIndexes.set(c.view, set);
  }
  return { columns, viewRefs, onDemand, onDemandIndexes, extraSourceRefs: [...extra] };
}

/** What a request asks for, and the feature service version that said so (if one did). */
export interface ResolvedRequest {
  readonly requested: RequestedFeatures;
  readonly service?: FeatureServiceVersion;
}

/**
 * The features a request (online, historical or training set) means — `features`, or the features
 * of its `feature_service` — resolved against both catalogs. Exactly one must be given:
 * `invalid_argument` naming `features` (neither) or `feature_service` (both); then the errors of
 * the service lookup and of {@link resolveRequestedFeatures}, naming the field the list came from.
 */
export async function resolveRequest(
  deps: {
    collections: FeatureStoreCollections;
    onDemand: OnDemandFeatureViews;
    featureServices: FeatureServices;
  },
  request: { readonly features: readonly string[]; readonly featureService?: FeatureServiceRef | undefined },
  options: CallOptions = {},
): Promise<ResolvedRequest> {
  const serviceRef = request.featureService;
  if (request.features.length > 0 && serviceRef) {
    throw AppError.invalidArgument('feature_service', 'give features or feature_service, not both');
  }
  if (request.features.length === 0 && !serviceRef) throw AppError.invalidArgument('features', 'is required');
  if (!serviceRef) {
    return { requested: await resolveRequestedFeatures(deps, request.features, 'features', options) };
  }
  const service = await deps.featureServices.resolve(serviceRef, 'feature_service', options);
  const requested = await resolveRequestedFeatures(
    deps,
    service.version.features,
    'feature_service',
    options,
  );
  return { requested, service };
}
