import { flushCompileCache } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { TensorValue } from './model-runner.ts';
import { loadOnnxModel } from './onnx-runner.ts';
import { warmUp } from './warm-up.ts';
import {
  buffersOf,
  type FromWorker,
  type NamedTensor,
  type ToWorker,
  toWireError,
  type WorkerStart,
} from './worker-protocol.ts';

/**
 * One onnxruntime session in its own thread, so `InferenceSession.run` (which blocks the thread it
 * runs on, onnxruntime issue #19611) never blocks the server's event loop. Loads the artifact from
 * `workerData` (or, prestarted without it, from the first message, a `load`: its modules and
 * onnxruntime are loaded by then), warms the session up, answers `ready` with its signature (or `failed`), then runs
 * requests one at a time in arrival order; outputs are transferred back, not copied.
 */
const port = parentPort;
if (!port) throw new Error('onnx-worker.ts runs only as a worker thread');
const start =
  (workerData as WorkerStart | undefined) ??
  (await new Promise<WorkerStart>((resolve) => {
    port.once('message', (message: ToWorker) => {
      if (message.kind === 'load') resolve(message.start);
      else process.exit(0); // closed (or crashed) before it was given a model
    });
  }));
const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

try {
  const runner = await loadOnnxModel(start.artifact, {
    intraOpThreads: start.intraOpThreads,
    interOpThreads: start.interOpThreads,
  });
  try {
    await warmUp(runner);
  } catch (error) {
    await runner.close();
    throw error;
  }
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'close') {
      void runner.close().finally(() => port.close());
      return;
    }
    if (message.kind === 'crash') process.exit(message.code);
    if (message.kind === 'load') return; // a model is loaded once, at start
    const inputs = new Map<string, TensorValue>(message.inputs);
    runner.run(inputs, message.outputs).then(
      (outputs) => {
        const named: NamedTensor[] = [...outputs];
        post({ kind: 'result', id: message.id, outputs: named }, transferable(named));
      },
      (error: unknown) => post({ kind: 'error', id: message.id, error: toWireError(error) }),
    );
  });
  post({ kind: 'ready', signature: runner.signature });
  // Keeps this thread's compiled modules for the next start (a no-op unless main.ts enabled the cache).
  flushCompileCache();
} catch (error) {
  post({ kind: 'failed', error: toWireError(error) });
}

/** Buffers onnxruntime handed over to JS can move; an external (non-detachable) one is copied instead. */
function transferable(tensors: NamedTensor[]): ArrayBuffer[] {
  return buffersOf(tensors).filter((buffer) => (buffer as { detached?: boolean }).detached !== true);
}
