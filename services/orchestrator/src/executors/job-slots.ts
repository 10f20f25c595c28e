import { abortError } from '@flywheel/core';

/** A bounded number of jobs at once, first come first served. */
export interface JobSlots {
  /** Waits for a free slot; resolves to the function that frees it. Rejects with the abort's AppError. */
  acquire(signal: AbortSignal): Promise<() => void>;
  /** Slots in use. */
  readonly inUse: number;
}

/** `limit` slots; 0 means unlimited. */
export function createJobSlots(limit: number): JobSlots {
  let inUse = 0;
  const waiting: { grant: () => void }[] = [];

  const release = (): void => {
    inUse -= 1;
    const next = waiting.shift();
    if (next) next.grant();
  };
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };

  return {
    get inUse() {
      return inUse;
    },
    acquire: (signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(abortError(signal));
        if (limit === 0 || inUse < limit) {
          inUse += 1;
          return resolve(releaser());
        }
        const entry = {
          grant: () => {
            signal.removeEventListener('abort', onAbort);
            inUse += 1;
            resolve(releaser());
          },
        };
        const onAbort = (): void => {
          const at = waiting.indexOf(entry);
          if (at >= 0) waiting.splice(at, 1);
          reject(abortError(signal));
        };
        waiting.push(entry);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
