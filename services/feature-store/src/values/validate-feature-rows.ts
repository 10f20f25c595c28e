import { AppError } from '@flywheel/core';
import type { FeatureRow } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { keyFromValue } from './entity-keys.ts';
import { checkNotInFuture, type FutureLimit, valueTimeMs } from './event-times.ts';
import { type FeatureRowData, fastValues } from './feature-row-data.ts';
import { checkValue, type KeyScalar, type StoredValue } from './feature-values.ts';
import type { FeatureViewRecord } from './feature-view-records.ts';

/**
 * Checks every row of a write against the view before anything is written: the entity key names
 * exactly the view's join keys with values of their types, each value has its feature's type, and
 * the event time is not later than `limit` allows.
 * Throws `invalid_argument` naming the first field at fault, e.g. `rows[3].values.temp_max` or
 * `rows[0].entity_key.join_keys.station`.
 */
export function validateFeatureRows(
  view: FeatureViewRecord,
  rows: readonly FeatureRow[],
  limit: FutureLimit,
  field = 'rows',
): FeatureRowData[] {
  const features = new Map(view.features.map((f) => [f.name, f]));
  const joinKeyNames = new Set(view.joinKeys.map((k) => k.name));
  return rows.map((row, i) => {
    const at = `${field}[${i}]`;
    const given = row.entityKey?.joinKeys ?? {};
    for (const name of Object.keys(given)) {
      if (!joinKeyNames.has(name)) {
        throw AppError.invalidArgument(
          `${at}.entity_key.join_keys.${name}`,
          `is not a join key of feature view ${view.name} (join keys: ${[...joinKeyNames].join(', ')})`,
        );
      }
    }
    const key: KeyScalar[] = view.joinKeys.map((k) =>
      keyFromValue(given[k.name], k, `${at}.entity_key.join_keys.${k.name}`),
    );
    if (!row.eventTime) throw AppError.invalidArgument(`${at}.event_time`, 'is required');
    const timeMs = valueTimeMs(row.eventTime);
    checkNotInFuture(timeMs, limit, `${at}.event_time`);
    const values: Record<string, StoredValue> = {};
    // for…in, not Object.entries: a decoded proto map of many features is a dictionary-mode
    // object, whose entries arrays cost ~5× the walk itself at a million rows.
    for (const name in row.values) {
      const value = row.values[name]!;
      const feature = features.get(name);
      if (!feature) {
        throw AppError.invalidArgument(
          `${at}.values.${name}`,
          `is not a feature of feature view ${view.name} (features: ${[...features.keys()].join(', ')})`,
        );
      }
      values[name] = checkValue(value, feature.valueType, `${at}.values.${name}`);
    }
    return { key, timeMs, values: fastValues(values) };
  });
}
