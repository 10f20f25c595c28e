export type { FeatureStoreConfig } from './config.ts';
export { loadFeatureStoreConfig } from './config.ts';
export type { WeatherRow } from './examples/weather.ts';
export {
  toJsonLines,
  weatherCsvPath,
  weatherDailyView,
  weatherDataset,
  weatherDatasetName,
  weatherLabelsView,
} from './examples/weather.ts';
export { wireFeatureStore } from './wire-feature-store.ts';
