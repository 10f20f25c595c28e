/** A wait a writer can cut short: how a watcher sleeps between polls of the run store. */
export interface Wakeup {
  /** Ends the wait in progress, if any; a poke while nobody waits is dropped (the caller re-checks). */
  poke(): void;
  /** Resolves when poked, after `ms`, or when `signal` aborts — whichever comes first; never rejects. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

/** A {@link Wakeup} for one waiter at a time. */
export function createWakeup(): Wakeup {
  let wake: (() => void) | undefined;
  return {
    poke: () => wake?.(),
    wait: (ms, signal) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
        signal.addEventListener('abort', done, { once: true });
        if (signal.aborted) done();
      }),
  };
}
