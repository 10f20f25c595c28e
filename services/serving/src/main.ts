// Composition root of the serving service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
// The first onnxruntime worker thread boots on the other core while the rest is imported.
void import('./runtime/worker-pool-runner.ts').then(({ prestartWorker }) => prestartWorker());
const [{ runService, stopOnSignals }, { loadServingConfig }, { wireServing }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./config.ts'),
  import('./wire-serving.ts'),
]);
const config = loadServingConfig(process.env);
const service = await runService({
  name: 'serving',
  config,
  wire: (host) => wireServing(host, config),
});
stopOnSignals(service.stop, service.log);
flushServiceCompileCache();
