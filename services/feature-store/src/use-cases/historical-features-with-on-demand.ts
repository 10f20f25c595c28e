import { AppError, type CallOptions } from '@flywheel/core';
import type { FeatureServiceRef } from '@flywheel/proto/flywheel/featurestore/v1/feature_service_pb.js';
import type { HistoricalTable } from '../datasets/historical-table.ts';
import type { ResolvedFeature } from '../storage/feature-refs.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { checkValue, type StoredValue } from '../values/feature-values.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import type { FeatureServices } from './feature-services.ts';
import type { HistoricalFeaturesQuery, RetrieveHistoricalFeatures } from './get-historical-features.ts';
import type { OnDemandFeatureViews, ResolvedOnDemandView } from './on-demand-feature-views.ts';
import { resolveRequest } from './resolve-requested-features.ts';

export interface OnDemandHistoricalDeps {
  collections: FeatureStoreCollections;
  onDemand: OnDemandFeatureViews;
  featureServices: FeatureServices;
  /** The feature-view-only retrieval. */
  inner: RetrieveHistoricalFeatures;
}

/** A historical query that may name a feature service instead of features. */
export interface ServiceHistoricalQuery extends HistoricalFeaturesQuery {
  readonly featureService?: FeatureServiceRef;
}

/** The table, and the feature service version it was built from. */
export interface ServiceHistoricalTable extends HistoricalTable {
  readonly featureService?: { readonly name: string; readonly version: number };
}

export type RetrieveServiceHistoricalFeatures = (
  query: ServiceHistoricalQuery,
  options?: CallOptions,
) => Promise<ServiceHistoricalTable>;

/**
 * Historical retrieval with feature services and on-demand features: `inner` joins the feature
 * view features (requested ones and the on-demand sources), then every on-demand feature is
 * computed per row by the same compiled expression GetOnlineFeatures runs, its request fields
 * taken from the entity dataframe's pass-through column of that name (a null cell gives a null
 * feature). Sources that were not requested are left out of the table; the on-demand views'
 * revisions join the views read. A request field with no such column is `invalid_argument`
 * naming `entity_dataframe`; a cell of the wrong type names `entity_dataframe.<column>[row]`.
 */
export function createRetrieveWithOnDemand(deps: OnDemandHistoricalDeps): RetrieveServiceHistoricalFeatures {
  return async (query, options = {}) => {
    const { requested, service } = await resolveRequest(deps, query, options);
    const all = [...requested.viewRefs, ...requested.extraSourceRefs];
    const table = await deps.inner({ ...query, features: all }, options);
    const column = new Map(table.features.map((f, c) => [f.ref, c]));
    const passThrough = new Map(table.passThrough.map((name, c) => [name, c]));
    for (const view of requested.onDemand) {
      for (const name of view.compiled.requestFieldsOf(requested.onDemandIndexes.get(view)!)) {
        if (!passThrough.has(name)) {
          throw AppError.invalidArgument(
            'entity_dataframe',
            `has no column "${name}": on-demand feature view ${view.record.name} reads request.${name}`,
          );
        }
      }
    }
    const features: ResolvedFeature[] = requested.columns.map((c) =>
      c.kind === 'view'
        ? c.resolved
        : { ref: c.ref, view: asViewRecord(c.view), feature: asViewRecord(c.view).features[c.index]! },
    );
    const rows = table.rows.map((row, r) => {
      const outputs = new Map<ResolvedOnDemandView, StoredValue[]>();
      for (const view of requested.onDemand) {
        const types = new Map(view.record.requestSchema.map((x) => [x.name, x.valueType]));
        outputs.set(
          view,
          view.compiled.computeRow(
            (input) =>
              input.kind === 'feature'
                ? (row.features[column.get(`${input.view}:${input.feature}`)!] ?? null)
                : checkValue(
                    row.frame.columns[passThrough.get(input.name)!],
                    types.get(input.name)!,
                    `entity_dataframe.${input.name}[${r}]`,
                  ),
            requested.onDemandIndexes.get(view),
          ),
        );
      }
      return {
        frame: row.frame,
        features: requested.columns.map((c) =>
          c.kind === 'view' ? row.features[column.get(c.ref)!]! : outputs.get(c.view)![c.index]!,
        ),
      };
    });
    const extra = new Set(requested.extraSourceRefs);
    const fixed = table.columns.slice(0, table.columns.length - table.features.length);
    const viewsRead = [...table.views, ...requested.onDemand.map(asViewRecord)];
    return {
      ...table,
      features,
      columns: [...fixed, ...features.map((f) => f.ref)],
      rows,
      views: extra.size === 0 && requested.onDemand.length === 0 ? table.views : viewsRead,
      ...(service ? { featureService: { name: service.name, version: service.version.version } } : {}),
    };
  };
}

const asViewRecords = new WeakMap<ResolvedOnDemandView, FeatureViewRecord>();

/** An on-demand view in the shape tables and training sets list views read in (name, revision, features). */
function asViewRecord(view: ResolvedOnDemandView): FeatureViewRecord {
  let record = asViewRecords.get(view);
  if (!record) {
    const r = view.record;
    record = {
      name: r.name,
      team: r.team,
      description: r.description,
      entityName: '',
      joinKeys: [],
      features: r.features.map((f) => ({
        name: f.name,
        valueType: f.valueType,
        description: f.description,
        labels: [],
      })),
      ttlMs: null,
      source: null,
      online: true,
      labels: r.labels,
      datasetName: '',
      revision: r.revision,
      createTime: r.createTime,
      updateTime: r.updateTime,
    };
    asViewRecords.set(view, record);
  }
  return record;
}
