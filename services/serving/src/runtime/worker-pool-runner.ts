import { Worker } from 'node:worker_threads';
import { AppError, abortError, throwIfAborted } from '@flywheel/core';
import type { ModelRunner, ModelSignature, RunOptions, TensorValue } from './model-runner.ts';
import { threadCountsFor } from './thread-counts.ts';
import {
  buffersOf,
  type FromWorker,
  fromWireError,
  type NamedTensor,
  type ToWorker,
  type WorkerStart,
} from './worker-protocol.ts';

const workerUrl = new URL('./onnx-worker.ts', import.meta.url);

/** How a pool of onnxruntime worker threads is started for one loaded version. */
export interface WorkerPoolOptions {
  /** Sessions, one per worker thread; ≥ 1. */
  instanceCount: number;
  /** Per session; 0 means chosen for the core count (see threadCountsFor). */
  intraOpThreads: number;
  interOpThreads: number;
  signal?: AbortSignal;
}

/** A worker-thread runner, with its instances visible for scheduling. */
export interface WorkerPoolRunner extends ModelRunner {
  /** Worker threads (sessions) serving runs. */
  readonly instances: number;
  /** The worker threads as they are now (a replaced one is gone from the list); for diagnostics and fault tests. */
  workers(): readonly Worker[];
}

/** The worker thread started ahead of need by {@link prestartWorker}, until an instance takes it. */
let spare: Worker | undefined;

/**
 * Starts one onnxruntime worker thread without a model, so its boot (a V8 isolate, the worker's
 * modules, onnxruntime's native library) runs while the process is still importing and connecting;
 * the next instance any pool starts takes it instead of booting its own. At most one spare exists;
 * it does not keep the process alive, and one that fails is dropped (the instance boots its own).
 */
export function prestartWorker(): void {
  if (spare) return;
  const worker = new Worker(workerUrl, { execArgv: [] });
  worker.unref();
  const drop = (): void => {
    if (spare === worker) spare = undefined;
  };
  worker.once('error', drop);
  worker.once('exit', drop);
  spare = worker;
}

/** The prestarted worker, handed the model to load; or a new worker started with it. */
function workerFor(start: WorkerStart): Worker {
  const worker = spare;
  if (!worker) return new Worker(workerUrl, { workerData: start, execArgv: [] });
  spare = undefined;
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.ref();
  worker.postMessage({ kind: 'load', start } satisfies ToWorker);
  return worker;
}

/** Backoff between attempts to start a replacement for a crashed worker, ms. */
const replaceBaseMs = 100;
const replaceMaxMs = 10_000;

interface Call {
  resolve(outputs: Map<string, TensorValue>): void;
  reject(error: unknown): void;
}

interface Instance {
  readonly worker: Worker;
  /** Runs sent and not answered. */
  busy: number;
  alive: boolean;
  readonly calls: Map<number, Call>;
}

/**
 * Loads the artifact into `instanceCount` worker threads, each with its own onnxruntime session
 * warmed up before it takes traffic, and dispatches each run to the least busy live instance.
 * Inputs are structured-cloned (transferred with `transferInputs`); outputs are transferred back.
 * A run in progress is not interrupted by `signal`; a run not yet started is. A worker that exits
 * or crashes fails its runs in flight with unavailable (retriable) and is replaced by a new one,
 * warmed before it takes traffic (retried with backoff while the pool is open).
 *
 * @throws AppError invalid_argument (field "artifact") when any instance refuses the model or its
 *   warm-up; cancelled / deadline_exceeded when `signal` aborts while loading (workers stopped).
 */
export async function loadWorkerPool(
  artifact: Uint8Array,
  options: WorkerPoolOptions,
): Promise<WorkerPoolRunner> {
  throwIfAborted(options.signal);
  const count = Math.max(1, options.instanceCount);
  const threads = threadCountsFor(count, options);
  const start: WorkerStart = { artifact, ...threads };
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startInstance(start, options.signal)),
  );
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(instances.map(({ instance }) => instance.worker.terminate()));
    throw failure.reason;
  }
  return createPoolRunner(
    instances.map(({ instance }) => instance),
    instances[0]!.signature,
    start,
  );
}

function startInstance(
  start: WorkerStart,
  signal: AbortSignal | undefined,
): Promise<{ instance: Instance; signature: ModelSignature }> {
  return new Promise((resolve, reject) => {
    // Node strips the types of the .ts worker like the main module's; no loader is inherited.
    const worker = workerFor(start);
    const instance: Instance = { worker, busy: 0, alive: true, calls: new Map() };
    const onAbort = (): void => {
      void worker.terminate();
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => signal?.removeEventListener('abort', onAbort);
    worker.once('message', (message: FromWorker) => {
      settle();
      if (message.kind === 'ready') {
        resolve({ instance, signature: message.signature });
        return;
      }
      void worker.terminate();
      reject(
        message.kind === 'failed'
          ? fromWireError(message.error)
          : new AppError('internal', 'the onnxruntime worker answered before it was ready'),
      );
    });
    worker.once('error', (error) => {
      settle();
      reject(
        new AppError('internal', `the onnxruntime worker failed to start: ${error.message}`, {
          cause: error,
        }),
      );
    });
  });
}

function createPoolRunner(
  instances: Instance[],
  signature: ModelSignature,
  start: WorkerStart,
): WorkerPoolRunner {
  let closed = false;
  let nextId = 0;

  const watch = (instance: Instance): void => {
    instance.worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'result' && message.kind !== 'error') return;
      const call = instance.calls.get(message.id);
      if (!call) return;
      instance.calls.delete(message.id);
      instance.busy--;
      if (message.kind === 'result') call.resolve(new Map(message.outputs));
      else call.reject(fromWireError(message.error));
    });
    const lost = (reason: string): void => {
      if (!instance.alive) return;
      instance.alive = false;
      for (const call of instance.calls.values()) {
        call.reject(new AppError('unavailable', `the onnxruntime worker stopped: ${reason}`));
      }
      instance.calls.clear();
      instance.busy = 0;
      if (!closed) void replace(instance);
    };
    instance.worker.on('error', (error) => lost(error.message));
    instance.worker.on('exit', (code) => lost(`exit code ${code}`));
  };

  /** Starts a warmed worker in the lost one's slot, retrying with backoff until it starts or the pool closes. */
  const replace = async (lost: Instance): Promise<void> => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        const { instance } = await startInstance(start, undefined);
        if (closed) {
          await instance.worker.terminate();
          return;
        }
        const slot = instances.indexOf(lost);
        if (slot >= 0) instances[slot] = instance;
        else instances.push(instance);
        watch(instance);
        return;
      } catch {
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(replaceMaxMs, replaceBaseMs * 2 ** attempt)).unref(),
        );
      }
    }
  };

  for (const instance of instances) watch(instance);

  const leastBusy = (): Instance | undefined => {
    let best: Instance | undefined;
    for (const instance of instances) {
      if (instance.alive && (!best || instance.busy < best.busy)) best = instance;
    }
    return best;
  };

  return {
    signature,
    instances: instances.length,
    workers: () => instances.map((instance) => instance.worker),
    run(inputs, outputs, options: RunOptions = {}) {
      if (closed) return Promise.reject(new AppError('failed_precondition', 'the model has been unloaded'));
      if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
      const instance = leastBusy();
      if (!instance) {
        return Promise.reject(
          new AppError('unavailable', 'every onnxruntime worker of this model has stopped'),
        );
      }
      const id = nextId++;
      const named: NamedTensor[] = [...inputs];
      const message: ToWorker = { kind: 'run', id, inputs: named, outputs: [...outputs] };
      return new Promise((resolve, reject) => {
        instance.calls.set(id, { resolve, reject });
        instance.busy++;
        try {
          instance.worker.postMessage(message, options.transferInputs ? buffersOf(named) : []);
        } catch (error) {
          instance.calls.delete(id);
          instance.busy--;
          reject(AppError.invalidArgument('inputs', `cannot send the inputs to the model: ${String(error)}`));
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(
        instances.map(async (instance) => {
          if (!instance.alive) return;
          const exited = new Promise<void>((resolve) => instance.worker.once('exit', () => resolve()));
          instance.worker.postMessage({ kind: 'close' } satisfies ToWorker);
          const timer = setTimeout(() => void instance.worker.terminate(), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
