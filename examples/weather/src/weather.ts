// The running example of docs/closed-loop.md: NOAA daily weather of Seattle and New York
// (2012–2015) from the npm package vega-datasets, as the "noaa-weather" dataset and two views.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { FeatureViewSchema } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { parse } from 'csv-parse/sync';

/** The dataset name `dataset.arrived` carries for weather files; both views read it. */
export const weatherDatasetName = 'noaa-weather';

/** One station-day: the features, the label, and the station and day they are about. */
export interface WeatherRow {
  /** `seattle` or `new-york`. */
  readonly station: string;
  /** Midnight UTC of the day, RFC 3339. */
  readonly event_time: string;
  /** °C. */
  readonly temp_max: number;
  /** °C. */
  readonly temp_min: number;
  /** m/s. */
  readonly wind: number;
  /** 1 when precipitation > 0 that day, else 0. */
  readonly rained: number;
}

const day = 24 * 60 * 60 * 1000;

/** Features of a station-day (view `weather_daily`): temp_max, temp_min, wind; online; valid 3 days. */
export const weatherDailyView = {
  name: 'weather_daily',
  team: 'weather',
  description: 'Daily NOAA observations per weather station.',
  entity: { name: 'station', joinKeys: [{ name: 'station', valueType: ValueType.STRING }] },
  features: [
    { name: 'temp_max', valueType: ValueType.DOUBLE, description: 'Maximum temperature, °C.' },
    { name: 'temp_min', valueType: ValueType.DOUBLE, description: 'Minimum temperature, °C.' },
    { name: 'wind', valueType: ValueType.DOUBLE, description: 'Average wind speed, m/s.' },
  ],
  ttl: durationFromMs(3 * day),
  source: { kind: { case: 'batch', value: { dataset: weatherDatasetName, format: DatasetFormat.JSONL } } },
  online: true,
} satisfies MessageInitShape<typeof FeatureViewSchema>;

/** The label of a station-day (view `weather_labels`): rained; offline only; valid 1 day. */
export const weatherLabelsView = {
  name: 'weather_labels',
  team: 'weather',
  description: 'Whether it rained at the station that day (precipitation > 0).',
  entity: { name: 'station', joinKeys: [{ name: 'station', valueType: ValueType.STRING }] },
  features: [
    { name: 'rained', valueType: ValueType.DOUBLE, description: '1.0 when precipitation > 0, else 0.0.' },
  ],
  ttl: durationFromMs(day),
  source: { kind: { case: 'batch', value: { dataset: weatherDatasetName, format: DatasetFormat.JSONL } } },
  online: false,
} satisfies MessageInitShape<typeof FeatureViewSchema>;

const stations: Readonly<Record<string, string>> = { Seattle: 'seattle', 'New York': 'new-york' };

/** Path of `data/weather.csv` in the installed vega-datasets package. */
export function weatherCsvPath(): string {
  // The package exports only its entry point (build/index.js); data/ sits beside build/.
  const entry = fileURLToPath(import.meta.resolve('vega-datasets'));
  return join(dirname(dirname(entry)), 'data', 'weather.csv');
}

/**
 * The 2 922 station-days of vega-datasets' `weather.csv` (Seattle and New York, 2012–2015, in
 * file order): location → station (`seattle` / `new-york`), date → event_time (midnight UTC),
 * rained = precipitation > 0. Throws when the file is not there or not as expected.
 */
export async function weatherDataset(): Promise<WeatherRow[]> {
  const [columns = [], ...records] = parse(await readFile(weatherCsvPath(), 'utf8'), {
    skip_empty_lines: true,
  }) as string[][];
  const at = (name: string): number => {
    const index = columns.indexOf(name);
    if (index < 0) throw new Error(`weather.csv has no column ${name} (columns: ${columns.join(', ')})`);
    return index;
  };
  const [location, date, precipitation, tempMax, tempMin, wind] = [
    'location',
    'date',
    'precipitation',
    'temp_max',
    'temp_min',
    'wind',
  ].map(at) as [number, number, number, number, number, number];
  return records.map((fields, i) => {
    const station = stations[fields[location] ?? ''];
    if (!station) throw new Error(`weather.csv record ${i + 1}: unknown location "${fields[location]}"`);
    return {
      station,
      event_time: `${fields[date]}T00:00:00Z`,
      temp_max: Number(fields[tempMax]),
      temp_min: Number(fields[tempMin]),
      wind: Number(fields[wind]),
      rained: Number(fields[precipitation]) > 0 ? 1 : 0,
    };
  });
}

/** Rows as a JSON Lines dataset file (one object per line), ready for the blob store. */
export function toJsonLines(rows: readonly object[]): Uint8Array {
  return new TextEncoder().encode(rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}
