// Composition root of the registry service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
const [{ runService, stopOnSignals }, { loadRegistryConfig }, { wireRegistry }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./config.ts'),
  import('./wire-registry.ts'),
]);
const config = loadRegistryConfig(process.env);
const service = await runService({
  name: 'registry',
  config,
  wire: (host) => wireRegistry(host, config),
});
stopOnSignals(service.stop, service.log);
flushServiceCompileCache();
