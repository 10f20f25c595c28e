// The closed loop's running example: NOAA daily weather of Seattle and New York, 2012–2015, from
// the npm package vega-datasets (data/weather.csv).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WeatherDay {
  station: 'seattle' | 'new-york';
  event_time: string;
  temp_max: number;
  temp_min: number;
  wind: number;
  rained: number;
}

/** Every station-day of weather.csv, in file order. */
export function weatherDays(): WeatherDay[] {
  // The package exports only build/index.js; data/ sits beside build/.
  const path = join(
    dirname(dirname(fileURLToPath(import.meta.resolve('vega-datasets')))),
    'data',
    'weather.csv',
  );
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const at = (name: string) => columns.indexOf(name);
  return lines.map((line) => {
    const fields = line.split(',');
    return {
      station: fields[at('location')] === 'Seattle' ? 'seattle' : 'new-york',
      event_time: `${fields[at('date')]}T00:00:00Z`,
      temp_max: Number(fields[at('temp_max')]),
      temp_min: Number(fields[at('temp_min')]),
      wind: Number(fields[at('wind')]),
      rained: Number(fields[at('precipitation')]) > 0 ? 1 : 0,
    };
  });
}

/** Seattle 2012–2013: what v1 of the weather model is trained on. */
export function seattleTrainingDays(): WeatherDay[] {
  return weatherDays().filter((d) => d.station === 'seattle' && d.event_time < '2014');
}

/** New York days: a genuine shift (wind ≈ 5.0 vs 3.2 m/s). */
export function newYorkDays(): WeatherDay[] {
  return weatherDays().filter((d) => d.station === 'new-york');
}

/** A seeded shuffle (LCG), so a "random" sample is the same on every run. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Rows as a JSON Lines file. */
export function jsonLines(rows: readonly object[]): Uint8Array {
  return new TextEncoder().encode(rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}
