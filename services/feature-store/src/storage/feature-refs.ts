import { AppError, type CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import type { FeatureRecord, FeatureViewRecord } from '../values/feature-view-records.ts';
import { loadFeatureView } from './load-feature-view.ts';

/** One requested feature: `<view>:<feature>`, with its view and declaration. */
export interface ResolvedFeature {
  readonly ref: string;
  readonly view: FeatureViewRecord;
  readonly feature: FeatureRecord;
}

/** Requested features, resolved against the catalog. */
export interface ResolvedFeatures {
  /** In request order, wildcards expanded. */
  readonly features: readonly ResolvedFeature[];
  /** The views they come from, in order of first reference. */
  readonly views: readonly FeatureViewRecord[];
}

const refPattern = /^([a-z_][a-z0-9_]*):(\*|[A-Za-z_][A-Za-z0-9_]*)$/;
// Per view record (cached ones are shared across requests): its features by name, so resolving
// n references is O(n), not O(n × features).
const featuresByName = new WeakMap<FeatureViewRecord, ReadonlyMap<string, FeatureRecord>>();

function featureNamed(view: FeatureViewRecord, name: string): FeatureRecord | undefined {
  let index = featuresByName.get(view);
  if (!index) {
    index = new Map(view.features.map((f) => [f.name, f]));
    featuresByName.set(view, index);
  }
  return index.get(name);
}

/**
 * Resolves feature references `"<feature_view>:<feature>"` (`"<feature_view>:*"` for every
 * feature when `wildcards`). Throws `invalid_argument` naming `features[i]` for a malformed,
 * repeated or unknown feature, and `not_found` naming it for an unknown view.
 */
export async function resolveFeatureRefs(
  views: Collection<FeatureViewRecord>,
  refs: readonly string[],
  options: CallOptions & {
    field?: string;
    wildcards?: boolean;
    /** Views resolved elsewhere (on-demand feature views): their references are skipped. */
    skipViews?: ReadonlySet<string>;
  } = {},
): Promise<ResolvedFeatures> {
  const field = options.field ?? 'features';
  const loaded = new Map<string, FeatureViewRecord>();
  const features: ResolvedFeature[] = [];
  const seen = new Set<string>();
  for (const [i, ref] of refs.entries()) {
    const at = `${field}[${i}]`;
    const match = refPattern.exec(ref);
    if (!match || (match[2] === '*' && !options.wildcards)) {
      throw AppError.invalidArgument(at, `must be "<feature_view>:<feature>", got "${ref}"`);
    }
    const [, viewName, featureName] = match as unknown as [string, string, string];
    if (options.skipViews?.has(viewName)) continue;
    let view = loaded.get(viewName);
    if (!view) {
      view = await loadFeatureView(views, viewName, options, at);
      loaded.set(viewName, view);
    }
    const named = featureName === '*' ? undefined : featureNamed(view, featureName);
    const picked = featureName === '*' ? view.features : named ? [named] : [];
    if (picked.length === 0) {
      throw AppError.invalidArgument(
        at,
        `feature view ${viewName} has no feature "${featureName}" (features: ${view.features.map((f) => f.name).join(', ')})`,
      );
    }
    for (const feature of picked) {
      const full = `${viewName}:${feature.name}`;
      if (seen.has(full)) throw AppError.invalidArgument(at, `${full} is requested twice`);
      seen.add(full);
      features.push({ ref: full, view, feature });
    }
  }
  return { features, views: [...loaded.values()] };
}
