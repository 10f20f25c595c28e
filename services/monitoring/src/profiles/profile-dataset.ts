import type { FeatureKindName, FeatureSourceName } from '../records/monitor-records.ts';
import type { FeatureProfileRecord } from '../records/profile-records.ts';
import { sortDoubles } from '../statistics/sort-doubles.ts';
import { DatasetColumns } from './dataset-columns.ts';
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
  // Read once, straight into one column per planned feature: the rows are not kept.
  let columns: DatasetColumns | undefined;
  for await (const row of rows) {
    if (!columns) {
      plan = planColumns(options.columns ?? Object.keys(row), options.wanted);
      columns = new DatasetColumns([...plan.keys()]);
    }
    columns.add(row);
  }
  if (!plan || !columns) return [];
  const features = columns.names.map((column) => plan.get(column)!);
  const kinds = features.map((feature, c) => options.wanted.kinds.get(feature) ?? columns.inferredKind(c));
  // One profile document holds every feature's sample: the budget is shared among the numeric ones.
  const numeric = kinds.filter((kind) => kind === 'numeric').length;
  const sampleSize = Math.min(
    options.limits?.sampleSize ?? profileSampleBudget,
    Math.floor((options.sampleBudget ?? profileSampleBudget) / Math.max(numeric, 1)),
  );
  const limits = { ...options.limits, sampleSize };
  return features.map((feature, c) => {
    const kind = kinds[c]!;
    const source = options.wanted.sources?.get(feature) ?? 'input';
    if (kind === 'numeric') {
      const numbers = columns.numbers(c);
      return profileNumericValues(
        feature,
        source,
        sortDoubles(numbers),
        columns.rows - numbers.length,
        limits,
      );
    }
    return profileColumn(feature, kind, source, columns.samples(c, kind), limits);
  });
}
