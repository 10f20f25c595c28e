// Composition root of the serving service: config → logger/telemetry → wiring → serve → stop on SIGTERM.
import { enableCompileCache, flushCompileCache } from 'node:module';

// Before anything else is loaded: a restarted process reuses the compiled, type-stripped modules of
// the previous start (on-disk, keyed by content; `NODE_COMPILE_CACHE` picks the directory,
// `NODE_DISABLE_COMPILE_CACHE=1` turns it off). Exported to the environment so the onnxruntime
// worker threads use it too.
const cache = enableCompileCache();
if (cache.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;

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
// The cache is written at exit otherwise, which a kill -9 skips.
flushCompileCache();
