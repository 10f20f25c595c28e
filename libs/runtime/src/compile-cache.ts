import { enableCompileCache, flushCompileCache } from 'node:module';

/**
 * Turns on Node's on-disk compile cache for this process and the worker threads it starts, so a
 * restarted service reuses the compiled, type-stripped modules of the previous start (keyed by
 * content; `NODE_COMPILE_CACHE` picks the directory, `NODE_DISABLE_COMPILE_CACHE=1` turns it off).
 * Call it from a service's main module BEFORE importing anything else (import the rest dynamically):
 * only modules compiled after it benefit. Imports nothing but `node:module`, and is reached through
 * `@flywheel/runtime/compile-cache`, so calling it loads nothing else.
 */
export function enableServiceCompileCache(): void {
  const cache = enableCompileCache();
  // Exported to the environment so worker threads (onnxruntime sessions) use the same directory.
  if (cache.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;
}

/**
 * Writes the cache now; call it once the service is serving. Node writes it at exit otherwise,
 * which a `kill -9` skips. A no-op when the cache is off.
 */
export function flushServiceCompileCache(): void {
  flushCompileCache();
}
