export { featureStorePolicy } from './api/feature-store-policy.ts';
export type { FeatureStoreConfig } from './config.ts';
export { loadFeatureStoreConfig } from './config.ts';
export { wireFeatureStore } from './wire-feature-store.ts';
