// Composition root of the feature-store service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { runService, stopOnSignals } from '@flywheel/runtime';
import { loadFeatureStoreConfig } from './config.ts';
import { wireFeatureStore } from './wire-feature-store.ts';

const config = loadFeatureStoreConfig(process.env);
const service = await runService({
  name: 'feature-store',
  config,
  wire: (host) => wireFeatureStore(host, config),
});
stopOnSignals(service.stop, service.log);
