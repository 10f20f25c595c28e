import { AppError, type CallOptions } from '@flywheel/core';
import type { OnDemandFeatureView } from '@flywheel/proto/flywheel/featurestore/v1/on_demand_pb.js';
import { currentAuditPrincipal, type TeamCondition, unknownAuditPrincipal } from '@flywheel/rpc';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { updateDocument } from '../storage/update-document.ts';
import type { ExprScope } from '../transformations/compile-expression.ts';
import { viewsReferenced } from '../transformations/compile-expression.ts';
import {
  type CompiledOnDemandView,
  compileOnDemandView,
  exprTypeOf,
} from '../transformations/compile-on-demand-view.ts';
import { typeName } from '../values/feature-values.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import {
  type OnDemandViewDefinition,
  type OnDemandViewRecord,
  type SourceFeatureRecord,
  sameOnDemandDefinition,
} from '../values/on-demand-view-records.ts';

export interface OnDemandFeatureViewsDeps {
  collections: FeatureStoreCollections;
  /** Owner when the request names no team. */
  defaultTeam: string;
  now?: () => Date;
}

/** A stored on-demand view with its compiled expressions. */
export interface ResolvedOnDemandView {
  readonly record: OnDemandViewRecord;
  readonly compiled: CompiledOnDemandView;
}

/** The catalog of on-demand feature views. */
export interface OnDemandFeatureViews {
  /**
   * Creates the view at revision 1 or bumps the revision when the definition changed. Every
   * expression is parsed and type-checked against the feature views it reads: `invalid_argument`
   * naming `on_demand_feature_view.features[i].expression` and the column; a duplicate name
   * (feature, request field) naming it; `already_exists` when a feature view has the name.
   */
  apply(
    view: OnDemandFeatureView | undefined,
    options?: CallOptions,
  ): Promise<{ record: OnDemandViewRecord; changed: boolean }>;
  /** The stored view, or undefined. */
  find(name: string, options?: CallOptions): Promise<ResolvedOnDemandView | undefined>;
  /** Every view, by name. */
  /** Every view, or those of `team` (a team or `{ in }`, see listedTeams). */
  list(options?: CallOptions, team?: TeamCondition): Promise<OnDemandViewRecord[]>;
  /** Deletes it; `not_found` naming `name` when there is none. */
  delete(name: string, options?: CallOptions): Promise<void>;
}

const field = 'on_demand_feature_view';
const maxCached = 1000;

export function createOnDemandFeatureViews(deps: OnDemandFeatureViewsDeps): OnDemandFeatureViews {
  const { collections, defaultTeam } = deps;
  const now = deps.now ?? (() => new Date());
  const cache = new Map<string, CompiledOnDemandView>();

  /** Compiled against the source types recorded on apply, so reads need no catalog. */
  const compiledOf = (record: OnDemandViewRecord): CompiledOnDemandView => {
    const key = `${record.name}@${record.revision}@${record.updateTime}`;
    let compiled = cache.get(key);
    if (!compiled) {
      const sources = new Map(record.sourceFeatures.map((s) => [`${s.view}.${s.feature}`, s.valueType]));
      const requests = new Map(record.requestSchema.map((r) => [r.name, r.valueType]));
      const scope: ExprScope = {
        feature: (view, feature) => {
          const type = sources.get(`${view}.${feature}`);
          return type === undefined ? undefined : exprTypeOf(type);
        },
        request: (name) => {
          const type = requests.get(name);
          return type === undefined ? undefined : exprTypeOf(type);
        },
      };
      compiled = compileOnDemandView(record, scope, field);
      if (cache.size >= maxCached) cache.clear();
      cache.set(key, compiled);
    }
    return compiled;
  };

  return {
    async apply(requested, options = {}) {
      if (!requested) throw AppError.invalidArgument(field, 'is required');
      const definition = await definitionOf(collections, requested, requested.team || defaultTeam, options);
      if (await collections.views.get(definition.name, options)) {
        throw new AppError(
          'already_exists',
          `${field}.name: a feature view is named "${definition.name}"; feature views and on-demand feature views share one namespace`,
          { field: `${field}.name` },
        );
      }
      let changed = false;
      const written = await updateDocument(
        collections.onDemandViews,
        definition.name,
        (current) => {
          changed = false;
          const stored = current?.data;
          if (stored && sameOnDemandDefinition(stored, definition)) return undefined;
          changed = true;
          const time = now().toISOString();
          return {
            data: {
              ...definition,
              revision: (stored?.revision ?? 0) + 1,
              createTime: stored?.createTime ?? time,
              updateTime: time,
              createdBy: stored ? (stored.createdBy ?? unknownAuditPrincipal) : currentAuditPrincipal(),
              updatedBy: currentAuditPrincipal(),
            },
          };
        },
        options,
      );
      if (written) return { record: written.data, changed };
      const current = await collections.onDemandViews.get(definition.name, options);
      return { record: current!.data, changed: false };
    },

    async find(name, options = {}) {
      const doc = await collections.onDemandViews.get(name, options);
      return doc ? { record: doc.data, compiled: compiledOf(doc.data) } : undefined;
    },

    async list(options = {}, team = '') {
      const records: OnDemandViewRecord[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await collections.onDemandViews.find(team !== '' ? { team } : {}, {
          ...options,
          limit: 500,
          ...(after === undefined ? {} : { after: { id: after } }),
        });
        records.push(...page.map((d) => d.data));
        if (page.length < 500) return records;
        after = page.at(-1)!.data.name;
      }
    },

    async delete(name, options = {}) {
      const doc = await collections.onDemandViews.get(name, options);
      if (!doc) {
        throw new AppError('not_found', `name: on-demand feature view "${name}" not found`, {
          field: 'name',
        });
      }
      await collections.onDemandViews.delete(name, options);
    },
  };
}

/** The declared definition, its expressions checked against the catalog's feature views. */
async function definitionOf(
  collections: FeatureStoreCollections,
  view: OnDemandFeatureView,
  team: string,
  options: CallOptions,
): Promise<OnDemandViewDefinition> {
  const requestSchema = view.requestSchema.map((r, i) => {
    if (exprTypeOf(r.valueType) === undefined) {
      throw AppError.invalidArgument(
        `${field}.request_schema[${i}].value_type`,
        `must be DOUBLE, FLOAT, INT32, INT64, STRING or BOOL, got ${typeName(r.valueType)}`,
      );
    }
    return { name: r.name, valueType: r.valueType };
  });
  unique(
    requestSchema.map((r) => r.name),
    `${field}.request_schema`,
    'request field',
  );
  const features = view.features.map((f) => ({
    name: f.name,
    valueType: f.valueType,
    expression: f.expression,
    description: f.description,
  }));
  unique(
    features.map((f) => f.name),
    `${field}.features`,
    'feature',
  );

  const views = new Map<string, FeatureViewRecord>();
  for (const [i, feature] of features.entries()) {
    for (const name of viewsReferenced(feature.expression)) {
      if (views.has(name)) continue;
      const doc = await collections.views.get(name, options);
      if (doc) views.set(name, doc.data);
      else if (await collections.onDemandViews.get(name, options)) {
        throw AppError.invalidArgument(
          `${field}.features[${i}].expression`,
          `${name} is an on-demand feature view: expressions read feature views only`,
        );
      }
    }
  }
  const requests = new Map(requestSchema.map((r) => [r.name, r.valueType]));
  const sourceTypes = new Map<string, SourceFeatureRecord>();
  const scope: ExprScope = {
    feature(viewName, featureName) {
      const declared = views.get(viewName)?.features.find((f) => f.name === featureName);
      if (!declared) return undefined;
      const type = exprTypeOf(declared.valueType);
      if (type === undefined) return `${typeName(declared.valueType)} features cannot be used in expressions`;
      sourceTypes.set(`${viewName}:${featureName}`, {
        view: viewName,
        feature: featureName,
        valueType: declared.valueType,
      });
      return type;
    },
    request: (name) => {
      const type = requests.get(name);
      return type === undefined ? undefined : exprTypeOf(type);
    },
  };
  const compiled = compileOnDemandView({ features }, scope, field);
  return {
    name: view.name,
    team,
    description: view.description,
    requestSchema,
    features,
    labels: Object.entries(view.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    sourceFeatures: compiled.sourceRefs.map((ref) => sourceTypes.get(ref)!),
  };
}

function unique(names: readonly string[], at: string, what: string): void {
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (seen.has(name))
      throw AppError.invalidArgument(`${at}[${i}].name`, `${what} "${name}" is declared twice`);
    seen.add(name);
  }
}
