// Composition root of the orchestrator service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
const [{ runService, stopOnSignals }, { loadOrchestratorConfig }, { wireOrchestrator }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./config.ts'),
  import('./wire-orchestrator.ts'),
]);
const config = loadOrchestratorConfig(process.env);
const service = await runService({
  name: 'orchestrator',
  config,
  wire: (host) => wireOrchestrator(host, config),
});
stopOnSignals(service.stop, service.log);
flushServiceCompileCache();
