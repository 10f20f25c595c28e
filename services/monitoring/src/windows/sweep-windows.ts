import { AppError, delay, isAppError, type Logger } from '@flywheel/core';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';
import { closeIfDue, type WindowLimits } from './window-accumulator.ts';

export interface WindowSweepDeps {
  collections: MonitoringCollections;
  limits: WindowLimits;
  log: Logger;
  evaluateClosedWindows(windowId: string, signal: AbortSignal): Promise<void>;
  now?: () => Date;
}

/**
 * One pass over the open windows: closes those whose duration has passed by the wall clock
 * (traffic may have stopped, so no later prediction would close them), and evaluates every
 * queued closed window whose version has a profile by now — which also finishes an evaluation a
 * crash interrupted. Errors on one window are logged and the pass goes on.
 */
export function createSweepWindows(deps: WindowSweepDeps) {
  const { collections, log } = deps;
  const now = deps.now ?? (() => new Date());
  return async function sweepWindows(signal: AbortSignal): Promise<void> {
    const monitors = new Map(
      (await collections.monitors.find({}, { limit: maxFind, signal })).map((d) => [d.id, d.data] as const),
    );
    const windows = await collections.windows.find({}, { limit: maxFind, signal });
    for (const doc of windows) {
      if (signal.aborted) return;
      try {
        const monitor = monitors.get(doc.data.monitorName);
        const due = monitor ? closeIfDue(doc.data, monitor.window, deps.limits, now().getTime()) : undefined;
        if (due) {
          await collections.windows.put(
            doc.id,
            { ...due.state, updateTime: now().toISOString() },
            { expectedVersion: doc.version, signal },
          );
          log.debug('window closed by its duration', { window: doc.id, ...due.report });
        }
        if (due || doc.data.closed.length > 0) await deps.evaluateClosedWindows(doc.id, signal);
      } catch (error) {
        // A concurrent writer moved the window on; the next pass looks again.
        if (isAppError(error, 'aborted') || signal.aborted) continue;
        log.warn('window sweep failed for a window', { window: doc.id, error: AppError.from(error).message });
      }
    }
  };
}

/** Runs `sweep` every `intervalMs` until `signal` aborts; `stop()` resolves once the loop has ended. */
export function startPeriodic(
  sweep: (signal: AbortSignal) => Promise<void>,
  options: { intervalMs: number; signal: AbortSignal; log: Logger },
): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  const loop = (async () => {
    while (!signal.aborted) {
      try {
        await delay(options.intervalMs, signal);
        await sweep(signal);
      } catch (error) {
        if (signal.aborted) return;
        options.log.warn('window sweep failed', { error: AppError.from(error).message });
      }
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}
