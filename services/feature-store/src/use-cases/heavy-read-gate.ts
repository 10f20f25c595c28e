import { AppError, type CallOptions } from '@flywheel/core';

/** Admits heavy reads (historical features, training sets) a few at a time; see {@link createHeavyReadGate}. */
export interface HeavyReadGate {
  /**
   * Runs `read` once one of the `concurrency` places is free, waiting in line (FIFO) until then.
   * With `queue` reads already waiting it is refused at once: `resource_exhausted`, retriable.
   * A call whose signal aborts while waiting leaves the line with its abort reason.
   */
  run<T>(read: () => Promise<T>, options?: CallOptions): Promise<T>;
  /**
   * Takes a place as {@link run} does and resolves its release (call it once, when done): for a
   * streamed answer, whose place is held until its last message is sent.
   */
  acquire(options?: CallOptions): Promise<() => void>;
}

export interface HeavyReadGateOptions {
  /** Heavy reads running at once (≥ 1). */
  concurrency: number;
  /** Heavy reads that may wait for a place (≥ 0); one more is refused. */
  queue: number;
}

/**
 * A bounded gate for reads that take seconds of CPU and memory proportional to their rows: more
 * than a few at once would only share the two cores slower and hold every answer in memory at
 * once, so they wait in a bounded line and past it are told to come back (backpressure) instead
 * of piling up.
 */
export function createHeavyReadGate(options: HeavyReadGateOptions): HeavyReadGate {
  const { concurrency, queue } = options;
  let running = 0;
  const waiting: { admit: () => void }[] = [];

  const release = () => {
    const next = waiting.shift();
    if (next) next.admit();
    else running--;
  };

  const acquire = async (callOptions: CallOptions = {}): Promise<() => void> => {
    const { signal } = callOptions;
    signal?.throwIfAborted();
    if (running < concurrency) {
      running++;
      return once(release);
    }
    if (waiting.length >= queue) {
      throw new AppError(
        'resource_exhausted',
        `too many historical reads: ${running} running and ${waiting.length} waiting (FLYWHEEL_FEATURE_STORE_HEAVY_READS, FLYWHEEL_FEATURE_STORE_HEAVY_READ_QUEUE); retry later`,
        { retriable: true },
      );
    }
    return new Promise<() => void>((resolve, reject) => {
      const entry = {
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(once(release));
        },
      };
      const onAbort = () => {
        const at = waiting.indexOf(entry);
        if (at >= 0) waiting.splice(at, 1);
        reject(AppError.from(signal!.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(entry);
    });
  };

  return {
    acquire,
    async run(read, callOptions) {
      const done = await acquire(callOptions);
      try {
        return await read();
      } finally {
        done();
      }
    },
  };
}

function once(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}
