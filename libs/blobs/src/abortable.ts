import { AppError, abortError, messageOf, throwIfAborted } from '@flywheel/core';

const ignore = (): void => {};

/**
 * Iterates `source` until `signal` aborts, then rejects at once with the abort's AppError, even
 * while the source is stuck in `next()`. On early exit the source's `return()` is called but not
 * awaited (it may be queued behind the stuck `next()`). Errors the source throws go through
 * `mapError`.
 */
export async function* abortable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
  mapError: (thrown: unknown) => unknown = (thrown) => thrown,
): AsyncGenerator<T, void, undefined> {
  throwIfAborted(signal);
  const iterator = source[Symbol.asyncIterator]();
  let onAbort = ignore;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(ignore);
  let done = false;
  try {
    for (;;) {
      const next = iterator.next();
      next.catch(ignore);
      let result: IteratorResult<T>;
      try {
        result = await Promise.race([next, aborted]);
      } catch (thrown) {
        if (signal.aborted) throw abortError(signal);
        done = true; // a source that threw is finished
        throw mapError(thrown);
      }
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
      throwIfAborted(signal);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!done) Promise.resolve(iterator.return?.()).catch(ignore);
  }
}

/**
 * The chunks of a blob source until `signal` aborts (then it rejects at once, even while the
 * source is stuck, and calls the source's `return()` without awaiting it). A single buffer becomes
 * one chunk; empty chunks are skipped. A chunk that is not a Uint8Array is `invalid_argument`; an
 * error the source throws becomes an AppError (AppErrors pass through, others are `unknown` with
 * the original as cause).
 */
export async function* sourceChunks(
  source: Uint8Array | AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  throwIfAborted(signal);
  if (source instanceof Uint8Array) {
    if (source.byteLength > 0) yield source;
    return;
  }
  if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source)) {
    throw AppError.invalidArgument('source', 'must be a Uint8Array or an AsyncIterable of Uint8Array');
  }
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let result: IteratorResult<Uint8Array>;
      try {
        result = await untilAborted(iterator.next(), signal);
      } catch (thrown) {
        if (signal.aborted) throw abortError(signal);
        finished = true;
        throw sourceFailed(thrown);
      }
      if (result.done) {
        finished = true;
        return;
      }
      const chunk: unknown = result.value;
      if (!(chunk instanceof Uint8Array)) {
        throw AppError.invalidArgument('source', `must yield Uint8Array chunks, got ${typeof chunk}`);
      }
      if (chunk.byteLength > 0) yield chunk;
    }
  } finally {
    // On an early exit (cancellation, a bad chunk) the source is told, so it can release what it holds.
    if (!finished) Promise.resolve(iterator.return?.()).catch(ignore);
  }
}

function sourceFailed(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  const mapped = AppError.from(thrown);
  if (mapped.code !== 'internal') return mapped;
  const message = messageOf(thrown);
  return new AppError('unknown', `the blob source failed: ${message}`, { cause: thrown });
}

/** Settles like `promise`, or rejects with the abort's AppError as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(ignore);
  if (signal.aborted) return Promise.reject(abortError(signal));
  let onAbort = ignore;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
