// Composition root of the monitoring service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
const [{ runService, stopOnSignals }, { loadMonitoringConfig }, { wireMonitoring }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./config.ts'),
  import('./wire-monitoring.ts'),
]);
const config = loadMonitoringConfig(process.env);
const service = await runService({
  name: 'monitoring',
  config,
  wire: (host) => wireMonitoring(host, config),
});
stopOnSignals(service.stop, service.log);
flushServiceCompileCache();
