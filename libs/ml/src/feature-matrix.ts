import { AppError } from '@flywheel/core';

/** One example as the feature store and serving hand it over: feature name → value. */
export type FeatureRow = Readonly<Record<string, number>>;

/**
 * Turns named rows into a matrix with one column per feature, in `featureNames` order, the layout the
 * trainers take.
 *
 * @throws AppError invalid_argument (field `rows[i].<feature>`) when a row lacks a feature or its value
 *   is not a finite number.
 */
export function toFeatureMatrix(rows: readonly FeatureRow[], featureNames: readonly string[]): number[][] {
  return rows.map((row, i) =>
    featureNames.map((feature) => {
      const value = row[feature];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw AppError.invalidArgument(
          `rows[${i}].${feature}`,
          value === undefined ? 'missing' : `must be a finite number, got ${String(value)}`,
        );
      }
      return value;
    }),
  );
}
