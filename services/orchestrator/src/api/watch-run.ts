import { AppError } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { isFinalRun, type RunRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';
import { createWakeup } from './wakeup.ts';

/** How often a watcher re-reads the run when this process saw no write (the run may be written elsewhere), ms. */
const pollMs = 1000;

/**
 * WatchRun: the run now, then every later version, until it is final (that version included) or
 * `signal` aborts. Versions written by this process arrive as they are written; others are
 * picked up by polling; versions that only renew the owner's lease are not sent. Throws
 * `not_found` for an unknown run.
 */
export function createWatchRun(deps: { runs: RunStore }) {
  return async function* watchRun(runId: string, signal: AbortSignal): AsyncGenerator<Doc<RunRecord>> {
    const queued: Doc<RunRecord>[] = [];
    const wakeup = createWakeup();
    const unwatch = deps.runs.watch(runId, (doc) => {
      queued.push(doc);
      wakeup.poke();
    });
    try {
      const first = await deps.runs.get(runId, { signal });
      if (!first) throw new AppError('not_found', `run "${runId}" not found`);
      yield first;
      let last = first;
      while (!isFinalRun(last.data.state)) {
        let next = queued.shift();
        if (!next) {
          await wakeup.wait(pollMs, signal);
          signal.throwIfAborted();
          next = queued.shift() ?? (await deps.runs.get(runId, { signal }));
        }
        if (!next || next.version <= last.version) continue;
        // A lease renewal changes nothing the caller sees: no snapshot for it.
        if (sameBesidesOwner(next.data, last.data)) {
          last = next;
          continue;
        }
        yield next;
        last = next;
      }
    } finally {
      unwatch();
    }
  };
}

function sameBesidesOwner(a: RunRecord, b: RunRecord): boolean {
  const { owner: _a, ...restA } = a;
  const { owner: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}
