export type { FeatureStoreConfig } from './config.ts';
export { loadFeatureStoreConfig } from './config.ts';
export type { CsvRecord } from './datasets/csv.ts';
export { parseCsv } from './datasets/csv.ts';
export { wireFeatureStore } from './wire-feature-store.ts';
