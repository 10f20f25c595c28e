import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * A pause point for long CPU loops (decoding, joining, encoding 100k rows): call it once per
 * iteration and `await` it; within a slice it resolves on a microtask, once `sliceMs` of CPU have
 * gone by it yields a whole event-loop turn (`setImmediate`), so timers, sockets and other calls run
 * between slices instead of waiting for the loop to finish.
 */
export type Pause = () => Promise<void> | undefined;

/** A {@link Pause} yielding every `sliceMs` (default 10 ms); the clock is read every 64th call. */
export function timeSlice(sliceMs = 10): Pause {
  let started = performance.now();
  let calls = 0;
  return () => {
    if ((++calls & 63) !== 0 || performance.now() - started < sliceMs) return undefined;
    return nextTurn().then(() => {
      started = performance.now();
    });
  };
}
