// `./flywheel start`: the whole platform in one process on the embedded adapters — no servers —
// then the closed-loop demo on real weather data, then it keeps serving until Ctrl-C.
// FLYWHEEL_DEMO=off skips the demo, FLYWHEEL_CONSOLE=off the web console; FLYWHEEL_STORE_DIR / FLYWHEEL_BLOBS_DIR keep data elsewhere.
import { rmSync } from 'node:fs';
import { enableServiceCompileCache, flushServiceCompileCache } from '@flywheel/runtime/compile-cache';

// Before anything else is loaded (hence the dynamic imports): a restart reuses the compiled modules.
enableServiceCompileCache();
const [{ stopOnSignals }, { runDemo }, { startPlatform }] = await Promise.all([
  import('@flywheel/runtime'),
  import('./run-demo.ts'),
  import('./start-platform.ts'),
]);

const demo = process.env.FLYWHEEL_DEMO !== 'off';
const env = { ...process.env };
if (demo && env.FLYWHEEL_STORE_DIR === undefined && env.FLYWHEEL_BLOBS_DIR === undefined) {
  // The demo tells its story from a clean slate each run.
  rmSync('.flywheel/demo', { recursive: true, force: true });
  env.FLYWHEEL_STORE_DIR = '.flywheel/demo/store';
  env.FLYWHEEL_BLOBS_DIR = '.flywheel/demo/blobs';
}
env.FLYWHEEL_LOG_LEVEL ??= demo ? 'warn' : 'info';

const platform = await startPlatform(env, { console: env.FLYWHEEL_CONSOLE !== 'off' });
stopOnSignals(platform.stop, platform.log);
// Printed whatever the log level: the one address a person opens.
if (platform.console) console.log(`Flywheel console: ${platform.console.url}`);
flushServiceCompileCache();
if (demo) await runDemo(platform);
