import { createDynamicBatcher, type DynamicBatcherOptions } from './dynamic-batcher.ts';
import { type InlineFastPathOptions, withInlineFastPath } from './inline-fast-path.ts';
import { linearFormOf } from './linear-form.ts';
import type { ModelLoader, ModelRunner } from './model-runner.ts';
import { loadWorkerPool } from './worker-pool-runner.ts';

/** Queue bound of a batcher when the deployment sets no `max_queue_size`. */
export const defaultMaxQueueSize = 256;

export interface RuntimeLoaderOptions {
  /** Called with the rows and requests of every batch a batcher sends (statistics, tests). */
  onBatch?: DynamicBatcherOptions['onBatch'];
  /**
   * Small, fast models also get an in-process session for small requests (see withInlineFastPath);
   * `false` keeps every run in the worker threads. Default: on, with its default limits.
   */
  inline?: InlineFastPathOptions | false;
}

/**
 * The serving runtime: each loaded version runs in `instanceCount` onnxruntime worker threads (thread
 * counts chosen for the core count unless set, see threadCountsFor), each warmed up before it takes
 * traffic, behind a dynamic batcher when the deployment's RuntimeConfig asks for one. Small, fast
 * models answer small requests in-process instead (withInlineFastPath), skipping the thread hop.
 * The runner carries the graph's linear form, when it has one (linearFormOf), for Explain.
 */
export function createRuntimeLoader(options: RuntimeLoaderOptions = {}): ModelLoader {
  return async (artifact, runtime) => {
    const pool = await loadWorkerPool(artifact, {
      instanceCount: runtime.instanceCount ?? 1,
      intraOpThreads: runtime.intraOpThreads,
      interOpThreads: runtime.interOpThreads,
      ...(runtime.signal ? { signal: runtime.signal } : {}),
    });
    const runner =
      options.inline === false
        ? pool
        : await withInlineFastPath(pool, artifact, {
            ...options.inline,
            ...(runtime.signal ? { signal: runtime.signal } : {}),
          });
    const batching = runtime.dynamicBatching;
    const outer = batching
      ? createDynamicBatcher(runner, {
          ...batching,
          concurrency: pool.instances,
          maxQueueSize: runtime.maxQueueSize || defaultMaxQueueSize,
          ...(options.onBatch ? { onBatch: options.onBatch } : {}),
        })
      : runner;
    return withLinearForm(outer, artifact);
  };
}

function withLinearForm(runner: ModelRunner, artifact: Uint8Array): ModelRunner {
  const linearForm = linearFormOf(artifact, runner.signature);
  if (!linearForm) return runner;
  return {
    signature: runner.signature,
    linearForm,
    run: (inputs, outputs, options) => runner.run(inputs, outputs, options),
    close: () => runner.close(),
  };
}
