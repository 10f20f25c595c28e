import { AppError, type CallOptions, type Logger } from '@flywheel/core';

/** A periodic task of the ticker. */
export type TickTask = (options: CallOptions) => Promise<unknown>;

export interface Ticker {
  /** Stops ticking and waits for a pass in progress to end. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs `tasks` one after the other now and then every `intervalMs`, never two passes at once
 * (a slow pass makes the next start late, not overlap), on an unref'd timer that stops when
 * `signal` aborts. A failing task is logged and tried again next pass.
 */
export function startTicker(options: {
  intervalMs: number;
  signal: AbortSignal;
  log: Logger;
  tasks: Readonly<Record<string, TickTask>>;
}): Ticker {
  const { intervalMs, signal, log, tasks } = options;
  let running: Promise<void> | undefined;
  const pass = async (): Promise<void> => {
    for (const [name, task] of Object.entries(tasks)) {
      if (signal.aborted) return;
      try {
        await task({ signal });
      } catch (error) {
        if (!signal.aborted)
          log.warn('scheduler tick task failed', { task: name, error: AppError.from(error).message });
      }
    }
  };
  const tick = (): void => {
    if (running || signal.aborted) return;
    running = pass().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  signal.addEventListener('abort', stop, { once: true });
  tick();
  return {
    close: async () => {
      stop();
      signal.removeEventListener('abort', stop);
      await running;
    },
  };
}
