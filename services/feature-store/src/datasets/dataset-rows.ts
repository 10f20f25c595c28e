import { AppError } from '@flywheel/core';
import { keyFromCell } from '../values/entity-keys.ts';
import { checkNotInFuture, type FutureLimit, parseEventTime } from '../values/event-times.ts';
import { type FeatureRowData, fastValues } from '../values/feature-row-data.ts';
import { parseCell, type StoredValue } from '../values/feature-values.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import type { DatasetTable } from './dataset-files.ts';

/** The column that holds event times unless a view's source names another. */
export const eventTimeColumn = 'event_time';

/**
 * Which file column holds each of a view's names (`column(name)`: the source's `field_mapping`,
 * else the name itself) and its event time (`timestamp_field`, else `event_time`).
 */
export function viewColumns(view: FeatureViewRecord): {
  column: (name: string) => string;
  timeColumn: string;
} {
  const columnOf = new Map<string, string>();
  for (const [column, name] of view.source?.fieldMapping ?? []) columnOf.set(name, column);
  return {
    column: (name) => columnOf.get(name) ?? name,
    timeColumn: view.source?.timestampField || eventTimeColumn,
  };
}

/**
 * The rows of a dataset file for one view. Columns map to join keys and features by name, or by the
 * source's `field_mapping` (column → name); the event time comes from `event_time` or the source's
 * `timestamp_field`. A feature column the file lacks is left out of every row (online it stays as
 * it was); a JSON Lines row without a key leaves that feature out, an explicit null or an empty CSV
 * cell writes null. Every row is checked before any is returned: `invalid_argument` naming the line
 * and column (`line 7.temp_max: expected DOUBLE, got "warm"`, an event time past `limit`), or the
 * missing column.
 */
export function datasetRows(
  view: FeatureViewRecord,
  table: DatasetTable,
  limit: FutureLimit,
  /** How errors name a row (a stream record names its position instead). */
  rowLabel: (line: number) => string = (line) => `line ${line}`,
): FeatureRowData[] {
  const { column, timeColumn } = viewColumns(view);
  const present = new Set(table.columns);

  const required = [...view.joinKeys.map((k) => column(k.name)), timeColumn];
  for (const name of required) {
    if (!present.has(name)) {
      throw AppError.invalidArgument(
        `column ${name}`,
        `is missing: feature view ${view.name} needs its join keys and event time (the file has: ${table.columns.join(', ')})`,
      );
    }
  }
  const features = view.features.filter((f) => present.has(column(f.name)));
  if (features.length === 0) {
    throw AppError.invalidArgument(
      'columns',
      `the file has no column of feature view ${view.name} (features: ${view.features.map((f) => f.name).join(', ')})`,
    );
  }

  return table.rows.map(({ line, cells }) => {
    const key = view.joinKeys.map((k) =>
      keyFromCell(cells[column(k.name)], k, `${rowLabel(line)}.${column(k.name)}`),
    );
    const timeMs = parseEventTime(cells[timeColumn], `${rowLabel(line)}.${timeColumn}`, 'up');
    checkNotInFuture(timeMs, limit, `${rowLabel(line)}.${timeColumn}`);
    const values: Record<string, StoredValue> = {};
    for (const feature of features) {
      const name = column(feature.name);
      if (!table.csv && !(name in cells)) continue;
      values[feature.name] = parseCell(cells[name], feature.valueType, `${rowLabel(line)}.${name}`);
    }
    return { key, timeMs, values: fastValues(values) };
  });
}
