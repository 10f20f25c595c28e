import { stat } from 'node:fs/promises';

/**
 * The parsed content of `file`, re-read when its mtime changed — checked at most every
 * `recheckMs` — so an edit counts within that time, with no restart. Concurrent callers share one
 * reload; a parse that throws leaves the previous content in place and rejects this read.
 */
export function fileReloadedOnChange<T>(
  file: string,
  parse: (file: string) => Promise<T>,
  empty: T,
  recheckMs: number,
): () => Promise<T> {
  let content = empty;
  let loadedMtime = -1;
  let checkedAt = -Infinity;
  let reloading: Promise<void> | undefined;
  const reload = async (): Promise<void> => {
    const mtime = await stat(file).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    checkedAt = Date.now();
    if (mtime === loadedMtime) return;
    content = await parse(file);
    loadedMtime = mtime;
  };
  return async () => {
    if (Date.now() - checkedAt >= recheckMs) {
      reloading ??= reload().finally(() => {
        reloading = undefined;
      });
      await reloading;
    }
    return content;
  };
}
