import { delay } from '@flywheel/core';
import { CliError } from '../exit-codes.ts';
import type { Output } from '../output/output.ts';

/**
 * Polls `probe` every `intervalMs` until it yields a value (not undefined), showing `what` as
 * progress on stderr; a probe that sees a bad end throws its own error. Gives up after
 * `timeoutMs` with exit code 14 (DEADLINE_EXCEEDED's) naming what it waited for.
 */
export async function waitUntil<T>(
  out: Output,
  what: string,
  timeoutMs: number,
  probe: (progress: (text: string) => void) => Promise<T | undefined>,
  intervalMs = 500,
): Promise<T> {
  const progress = out.progress(`waiting for ${what}`);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const value = await probe((text) => progress.update(`waiting for ${what}: ${text}`));
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new CliError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`, 14);
      }
      await delay(intervalMs);
    }
  } finally {
    progress.stop();
  }
}
