import type { Column } from '@flywheel/datasets';
import type { FeatureKindName, FeatureSourceName } from '../records/monitor-records.ts';
import type { FeatureProfileRecord } from '../records/profile-records.ts';
import { sortDoubles } from '../statistics/sort-doubles.ts';
import { inferredKind, numbersOf, samplesOf } from './dataset-columns.ts';
import { type ProfileLimits, profileColumn, profileNumericValues } from './feature-profile.ts';

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

/** A dataset as columns, each `rows` long (`@flywheel/datasets`' `readColumns` yields this shape). */
export interface ProfileTable {
  readonly rows: number;
  readonly columns: ReadonlyMap<string, Column>;
}

/**
 * Profiles the wanted columns of `table` (see {@link planColumns}, over the table's column names,
 * in their order). A missing cell (NaN in packed numbers, null) counts as missing. Resolves one
 * profile per planned feature, in column order; none for a table without rows.
 */
export async function profileDataset(
  table: ProfileTable,
  options: {
    wanted: ProfileWanted;
    limits?: ProfileLimits;
    /** Sample values over all numeric features (default {@link profileSampleBudget}). */
    sampleBudget?: number;
  },
): Promise<FeatureProfileRecord[]> {
  if (table.rows === 0) return [];
  const plan = planColumns([...table.columns.keys()], options.wanted);
  const columns = [...plan.keys()].map((name) => table.columns.get(name)!);
  const features = [...plan.values()];
  const kinds = features.map((feature, c) => options.wanted.kinds.get(feature) ?? inferredKind(columns[c]!));
  // One profile document holds every feature's sample: the budget is shared among the numeric ones.
  const numeric = kinds.filter((kind) => kind === 'numeric').length;
  const sampleSize = Math.min(
    options.limits?.sampleSize ?? profileSampleBudget,
    Math.floor((options.sampleBudget ?? profileSampleBudget) / Math.max(numeric, 1)),
  );
  const limits = { ...options.limits, sampleSize };
  return features.map((feature, c) => {
    const kind = kinds[c]!;
    const column = columns[c]!;
    const source = options.wanted.sources?.get(feature) ?? 'input';
    if (kind === 'numeric') {
      // A copy without the missing values, sorted in place: the table is left as it was.
      const numbers = numbersOf(column);
      return profileNumericValues(feature, source, sortDoubles(numbers), table.rows - numbers.length, limits);
    }
    return profileColumn(feature, kind, source, samplesOf(column, kind), limits);
  });
}
