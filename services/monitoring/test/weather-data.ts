// The closed loop's running example: NOAA daily weather of Seattle and New York, 2012–2015, read
// once by @flywheel/example-weather (vega-datasets' data/weather.csv).
import { toJsonLines, weatherDataset } from '@flywheel/example-weather';

export interface WeatherDay {
  station: 'seattle' | 'new-york';
  event_time: string;
  temp_max: number;
  temp_min: number;
  wind: number;
  rained: number;
}

const days = await weatherDataset();

/** Every station-day of weather.csv, in file order (fresh objects on each call). */
export function weatherDays(): WeatherDay[] {
  return days.map((day) => ({ ...day, station: day.station as WeatherDay['station'] }));
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
export const jsonLines: (rows: readonly object[]) => Uint8Array = toJsonLines;
