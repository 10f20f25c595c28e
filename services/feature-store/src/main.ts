// Composition root of the feature-store service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
const [{ runService, stopOnSignals }, { loadFeatureStoreConfig }, { wireFeatureStore }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./config.ts'),
  import('./wire-feature-store.ts'),
]);
const config = loadFeatureStoreConfig(process.env);
const service = await runService({
  name: 'feature-store',
  config,
  wire: (host) => wireFeatureStore(host, config),
});
stopOnSignals(service.stop, service.log);
flushServiceCompileCache();
