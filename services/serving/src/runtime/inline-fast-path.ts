import type { ModelRunner, RunOptions, TensorSpec, TensorValue } from './model-runner.ts';
import { infoOf } from './oip-datatypes.ts';
import { loadOnnxModel } from './onnx-runner.ts';
import { warmUp } from './warm-up.ts';

/** When a model is cheap enough to run on the event loop thread. */
export interface InlineFastPathOptions {
  /** Artifacts larger than this never run inline, bytes. Default 1 MiB. */
  maxArtifactBytes?: number;
  /** Rows (dynamic dimensions) of the largest request run inline; larger ones go to the workers. Default 64. */
  maxRows?: number;
  /**
   * Longest the event loop may be blocked by one inline run, µs, measured on a request of `maxRows`
   * rows after warm-up (the fastest of several runs). A model slower than this stays in the workers.
   * Default 250 µs.
   */
  maxBlockUs?: number;
}

const defaults = { maxArtifactBytes: 1024 * 1024, maxRows: 64, maxBlockUs: 250 } as const;
/** Timed runs at `maxRows` before choosing; the fastest counts. */
const probeRuns = 16;

/** A qualified inline session, not yet put in front of a pool (see {@link loadInlineFastPath}). */
export interface InlineFastPath {
  /** The runner answering small requests inline and the rest through `pool`; closing it closes both. */
  inFrontOf(pool: ModelRunner): ModelRunner;
  /** Closes the inline session alone (when the pool it was meant for failed to load). */
  close(): Promise<void>;
}

/**
 * A fast path for small models in front of the worker threads: a second onnxruntime session in
 * this thread (1 intra-op, 1 inter-op thread, so it never spins threads against the event loop)
 * answers requests of at most `maxRows` rows; bigger requests, and every model that is large or
 * measured slow, run in the worker threads as before. For a model like a logistic regression the
 * inline run takes ~15 µs, less than the thread hop it replaces (postMessage both ways, ~70 µs on
 * the event loop's critical path), so the event loop is less busy, not more. The choice is made once
 * at load: the artifact must be at most `maxArtifactBytes` and a `maxRows`-row run must finish
 * within `maxBlockUs` (the fastest probe run); the worker pool's event-loop protection stays for
 * everything else (onnxruntime issue #19611).
 *
 * Loaded and probed without the pool, so the two can load at the same time; `inFrontOf(pool)`
 * then makes the runner. Undefined when the model does not qualify (or the inline session fails
 * to load).
 */
export async function loadInlineFastPath(
  artifact: Uint8Array,
  options: InlineFastPathOptions & { signal?: AbortSignal } = {},
): Promise<InlineFastPath | undefined> {
  const maxArtifactBytes = options.maxArtifactBytes ?? defaults.maxArtifactBytes;
  const maxRows = Math.max(1, options.maxRows ?? defaults.maxRows);
  const maxBlockNs = Math.round((options.maxBlockUs ?? defaults.maxBlockUs) * 1000);
  if (artifact.byteLength > maxArtifactBytes || maxBlockNs <= 0) return undefined;
  let inline: ModelRunner;
  try {
    inline = await loadOnnxModel(artifact, {
      intraOpThreads: 1,
      interOpThreads: 1,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch {
    return undefined;
  }
  const probe = probeInputs(inline.signature.inputs, maxRows);
  const maxElements = elementsOf(probe);
  const outputs = inline.signature.outputs.map((output) => output.name);
  try {
    await warmUp(inline, options.signal ? { signal: options.signal } : {});
    // The first run of a new shape pays for allocation; then the fastest of the timed runs: a run's
    // cost is fixed for a shape, and on a shared machine every slower run measured another
    // process's time slice (with the median, a loaded 2-core box sent the weather model to the
    // workers in some loads and not others, halving its throughput).
    await inline.run(probe, outputs);
    let fastestNs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < probeRuns; i++) {
      const started = process.hrtime.bigint();
      await inline.run(probe, outputs);
      fastestNs = Math.min(fastestNs, Number(process.hrtime.bigint() - started));
    }
    if (fastestNs > maxBlockNs) {
      await inline.close();
      return undefined;
    }
  } catch {
    await inline.close();
    return undefined;
  }
  return {
    inFrontOf: (pool) => ({
      signature: pool.signature,
      run(inputs, requested, runOptions: RunOptions = {}) {
        return elementsOf(inputs) <= maxElements
          ? inline.run(inputs, requested, runOptions)
          : pool.run(inputs, requested, runOptions);
      },
      async close() {
        await Promise.all([inline.close(), pool.close()]);
      },
    }),
    close: () => inline.close(),
  };
}

/** Zeros (empty strings for BYTES) shaped like the signature, dynamic dimensions as `rows`. */
function probeInputs(specs: readonly TensorSpec[], rows: number): Map<string, TensorValue> {
  const inputs = new Map<string, TensorValue>();
  for (const spec of specs) {
    const shape = spec.shape.map((dim) => (typeof dim === 'number' ? dim : rows));
    const count = shape.reduce((product, dim) => product * dim, 1);
    const info = infoOf(spec.datatype);
    const data = info.array ? new info.array(count) : Array.from({ length: count }, () => '');
    inputs.set(spec.name, { datatype: spec.datatype, shape, data });
  }
  return inputs;
}

/** Elements over all inputs. */
function elementsOf(inputs: ReadonlyMap<string, TensorValue>): number {
  let total = 0;
  for (const value of inputs.values()) total += value.data.length;
  return total;
}
