import { abortError } from '@flywheel/core';
import type { JobResources } from './job-executor.ts';

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
  const admission = fifoAdmission<1>(
    () => limit === 0 || inUse < limit,
    () => {
      inUse += 1;
    },
    () => {
      inUse -= 1;
    },
  );
  return {
    get inUse() {
      return inUse;
    },
    acquire: (signal) => admission.acquire(1, signal),
  };
}

/**
 * Cores and memory shared by the jobs of one executor: a job starts once what it requests is
 * free, first come first served (a job that does not fit yet holds back those behind it, so a
 * large request is not starved by small ones). GPUs are not pooled here: an executor with none
 * refuses GPU requests at submit.
 */
export interface ResourceSlots {
  /**
   * Waits until `request` fits, then holds it; resolves to the function that gives it back.
   * `onWait` is told once, with what is in use, when the job has to wait. Rejects with the abort's AppError.
   */
  acquire(request: JobResources, signal: AbortSignal, onWait?: (why: string) => void): Promise<() => void>;
  /** Holds `request` at once, fitting or not: for a job already running (adopted after a restart). */
  hold(request: JobResources): () => void;
  /** What the running jobs hold. */
  readonly inUse: JobResources;
}

/** Slots over `capacity` (cpu in cores, memory in MiB). */
export function createResourceSlots(capacity: JobResources): ResourceSlots {
  let cpu = 0;
  let memoryMib = 0;
  const fits = (r: JobResources) =>
    cpu + r.cpu <= capacity.cpu && memoryMib + r.memoryMib <= capacity.memoryMib;
  const take = (r: JobResources) => {
    cpu += r.cpu;
    memoryMib += r.memoryMib;
  };
  const give = (r: JobResources) => {
    cpu -= r.cpu;
    memoryMib -= r.memoryMib;
  };
  const admission = fifoAdmission<JobResources>(fits, take, give);
  return {
    get inUse() {
      return { cpu, memoryMib, gpu: 0 };
    },
    acquire: (request, signal, onWait) =>
      admission.acquire(request, signal, () =>
        onWait?.(
          `waiting for ${request.cpu} cores and ${request.memoryMib} MiB: ${cpu} of ${capacity.cpu} cores and ${memoryMib} of ${capacity.memoryMib} MiB are held by running jobs`,
        ),
      ),
    hold: (request) => admission.hold(request),
  };
}

/** First-come-first-served admission of requests of type `R` that `fits`; `take`/`give` account for them. */
function fifoAdmission<R>(
  fits: (request: R) => boolean,
  take: (request: R) => void,
  give: (request: R) => void,
) {
  const waiting: { request: R; grant: () => void }[] = [];
  const pump = (): void => {
    for (let next = waiting[0]; next && fits(next.request); next = waiting[0]) {
      waiting.shift();
      next.grant();
    }
  };
  const hold = (request: R): (() => void) => {
    take(request);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      give(request);
      pump();
    };
  };
  const acquire = (request: R, signal: AbortSignal, onWait?: () => void): Promise<() => void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      if (waiting.length === 0 && fits(request)) return resolve(hold(request));
      const entry = {
        request,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(hold(request));
        },
      };
      const onAbort = (): void => {
        const at = waiting.indexOf(entry);
        if (at >= 0) waiting.splice(at, 1);
        reject(abortError(signal));
        pump(); // the head left: those behind it may fit now
      };
      waiting.push(entry);
      signal.addEventListener('abort', onAbort, { once: true });
      onWait?.();
    });
  return { acquire, hold };
}
