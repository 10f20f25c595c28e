// Composition root of the scheduler service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
const [{ runService, stopOnSignals }, { loadSchedulerConfig }, { wireScheduler }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./config.ts'),
  import('./wire-scheduler.ts'),
]);
const config = loadSchedulerConfig(process.env);
const service = await runService({
  name: 'scheduler',
  config,
  wire: (host) => wireScheduler(host, config),
});
stopOnSignals(service.stop, service.log);
flushServiceCompileCache();
