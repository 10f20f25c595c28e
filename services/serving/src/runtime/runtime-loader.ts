import { createDynamicBatcher, type DynamicBatcherOptions } from './dynamic-batcher.ts';
import { type InlineFastPath, type InlineFastPathOptions, loadInlineFastPath } from './inline-fast-path.ts';
import { linearFormOf } from './linear-form.ts';
import type { ModelLoader, ModelRunner } from './model-runner.ts';
import { loadWorkerPool, type WorkerPoolRunner } from './worker-pool-runner.ts';

/** Queue bound of a batcher when the deployment sets no `max_queue_size`. */
export const defaultMaxQueueSize = 256;

export interface RuntimeLoaderOptions {
  /** Called with the rows and requests of every batch a batcher sends (statistics, tests). */
  onBatch?: DynamicBatcherOptions['onBatch'];
  /**
   * Small, fast models also get an in-process session for small requests (see loadInlineFastPath);
   * `false` keeps every run in the worker threads. Default: on, with its default limits.
   */
  inline?: InlineFastPathOptions | false;
}

/**
 * The serving runtime: each loaded version runs in `instanceCount` onnxruntime worker threads (thread
 * counts chosen for the core count unless set, see threadCountsFor), each warmed up before it takes
 * traffic, behind a dynamic batcher when the deployment's RuntimeConfig asks for one. Small, fast
 * models answer small requests in-process instead (loadInlineFastPath), skipping the thread hop.
 * The runner carries the graph's linear form, when it has one (linearFormOf), for Explain, and its
 * pool's instance count.
 */
export function createRuntimeLoader(options: RuntimeLoaderOptions = {}): ModelLoader {
  return async (artifact, runtime) => {
    const signal = runtime.signal ? { signal: runtime.signal } : {};
    // The worker threads and the inline session load at the same time (they are independent);
    // a model is loaded once both have settled, and only if the pool loaded.
    const [loadedPool, loadedInline] = await Promise.allSettled([
      loadWorkerPool(artifact, {
        instanceCount: runtime.instanceCount ?? 1,
        intraOpThreads: runtime.intraOpThreads,
        interOpThreads: runtime.interOpThreads,
        ...signal,
      }),
      options.inline === false
        ? Promise.resolve(undefined)
        : loadInlineFastPath(artifact, { ...options.inline, ...signal }),
    ]);
    const inline: InlineFastPath | undefined =
      loadedInline.status === 'fulfilled' ? loadedInline.value : undefined;
    if (loadedPool.status === 'rejected') {
      await inline?.close();
      throw loadedPool.reason;
    }
    const pool = loadedPool.value;
    const runner = inline ? inline.inFrontOf(pool) : pool;
    const batching = runtime.dynamicBatching;
    const outer = batching
      ? createDynamicBatcher(runner, {
          ...batching,
          concurrency: pool.instances,
          maxQueueSize: runtime.maxQueueSize || defaultMaxQueueSize,
          ...(options.onBatch ? { onBatch: options.onBatch } : {}),
        })
      : runner;
    return served(outer, artifact, pool);
  };
}

/** The runner with its graph's linear form (when it has one) and its pool's worker threads as they are now. */
function served(runner: ModelRunner, artifact: Uint8Array, pool: WorkerPoolRunner): ModelRunner {
  const linearForm = linearFormOf(artifact, runner.signature);
  return {
    signature: runner.signature,
    ...(linearForm ? { linearForm } : {}),
    get instances() {
      return pool.workers().length;
    },
    run: (inputs, outputs, options) => runner.run(inputs, outputs, options),
    close: () => runner.close(),
  };
}
