import type { FeatureKindName, FeatureSourceName } from '../records/monitor-records.ts';
import type { FeatureProfileRecord } from '../records/profile-records.ts';
import { inferKind, type Scalar, sampleOf } from '../records/sample-values.ts';
import { type ProfileLimits, profileColumn, profileNumericValues } from './feature-profile.ts';
import type { DatasetRow } from './read-dataset-rows.ts';

/**
 * Sample values one profile keeps over all its numeric features (≈ 8 MB of JSON, half a stored
 * document): each feature keeps min(sample size, budget / numeric features) values.
 */
export const profileSampleBudget = 400_000;

/** What to profile in a dataset. */
export interface ProfileWanted {
  /** Feature names to profile (model inputs, monitored columns); empty = every feature column. */
  names: ReadonlySet<string>;
  /** Declared kinds (monitors first, then the signature); others are inferred from the values. */
  kinds: ReadonlyMap<string, FeatureKindName>;
  /** Declared sources; default input. */
  sources?: ReadonlyMap<string, FeatureSourceName>;
  /** Views the dataset's features come from (a training set's `features`); their columns win over pass-through ones. */
  featureViews?: ReadonlySet<string>;
}

/** The feature a column holds: training-set columns are `<view>:<feature>`, other columns are the name itself. */
export function featureOfColumn(column: string): { view: string | undefined; feature: string } {
  const colon = column.lastIndexOf(':');
  return colon < 0
    ? { view: undefined, feature: column }
    : { view: column.slice(0, colon), feature: column.slice(colon + 1) };
}

/**
 * Which column feeds which feature. A wanted feature takes the column named after it (its
 * `<view>:` prefix stripped); when several columns strip to the same name, a column of one of the
 * `featureViews` wins over a pass-through label column, and among equals the last one (training
 * sets put features after pass-through columns). With no wanted names, every column of the
 * feature views (or, lacking those, every column but `event_time`) is profiled.
 */
export function planColumns(columns: readonly string[], wanted: ProfileWanted): Map<string, string> {
  const chosen = new Map<string, { column: string; fromFeatureView: boolean }>();
  for (const column of columns) {
    const { view, feature } = featureOfColumn(column);
    const fromFeatureView = view !== undefined && (wanted.featureViews?.has(view) ?? false);
    if (wanted.names.size > 0) {
      if (!wanted.names.has(feature)) continue;
    } else if (wanted.featureViews && wanted.featureViews.size > 0) {
      if (!fromFeatureView) continue;
    } else if (column === 'event_time') continue;
    const previous = chosen.get(feature);
    if (previous?.fromFeatureView && !fromFeatureView) continue;
    chosen.set(feature, { column, fromFeatureView });
  }
  return new Map([...chosen].map(([feature, { column }]) => [column, feature]));
}

/**
 * Profiles the wanted columns of `rows` (see {@link planColumns}); `columns` is the dataset's
 * column list when known up front (a training set's), else the first row's keys. A row without a
 * column counts as missing for it. Resolves one profile per planned feature, in column order.
 */
export async function profileDataset(
  rows: AsyncIterable<DatasetRow>,
  options: {
    columns?: readonly string[];
    wanted: ProfileWanted;
    limits?: ProfileLimits;
    /** Sample values over all numeric features (default {@link profileSampleBudget}). */
    sampleBudget?: number;
  },
): Promise<FeatureProfileRecord[]> {
  let plan: Map<string, string> | undefined;
  const values = new Map<string, Scalar[]>();
  let lists: { column: string; list: Scalar[] }[] = [];
  for await (const row of rows) {
    if (!plan) {
      plan = planColumns(options.columns ?? Object.keys(row), options.wanted);
      for (const column of plan.keys()) values.set(column, []);
      lists = [...values].map(([column, list]) => ({ column, list }));
    }
    for (const { column, list } of lists) list.push(row[column] ?? null);
  }
  if (!plan) return [];
  const kinds = new Map(
    [...plan].map(([column, feature]) => [
      column,
      options.wanted.kinds.get(feature) ?? inferKind(values.get(column)!),
    ]),
  );
  // One profile document holds every feature's sample: the budget is shared among the numeric ones.
  const numeric = [...kinds.values()].filter((kind) => kind === 'numeric').length;
  const sampleSize = Math.min(
    options.limits?.sampleSize ?? profileSampleBudget,
    Math.floor((options.sampleBudget ?? profileSampleBudget) / Math.max(numeric, 1)),
  );
  return [...plan].map(([column, feature]) => {
    const raw = values.get(column)!;
    const kind = kinds.get(column)!;
    const source = options.wanted.sources?.get(feature) ?? 'input';
    if (kind === 'numeric') {
      // Straight into a typed array: no per-value sample array for the (often large) numeric columns.
      const numbers = new Float64Array(raw.length);
      let count = 0;
      for (const value of raw) {
        const sample = sampleOf(value, 'numeric');
        if (sample !== null) numbers[count++] = sample as number;
      }
      const sorted = numbers.subarray(0, count).sort();
      return profileNumericValues(feature, source, sorted, raw.length - count, {
        ...options.limits,
        sampleSize,
      });
    }
    return profileColumn(
      feature,
      kind,
      source,
      raw.map((value) => sampleOf(value, kind)),
      { ...options.limits, sampleSize },
    );
  });
}
