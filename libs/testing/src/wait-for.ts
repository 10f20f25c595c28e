export interface WaitForOptions {
  /** Give up after this long, ms. Default 10 s. */
  timeoutMs?: number;
  /** Between polls, ms. Default 25. */
  intervalMs?: number;
  /** Says what was awaited, in the timeout error. */
  what?: string;
}

/**
 * Polls `probe` until it returns something other than undefined/false, with a deadline — never a
 * fixed sleep. The last error `probe` threw is the timeout error's cause.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
