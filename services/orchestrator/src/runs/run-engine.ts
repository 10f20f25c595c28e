import { AppError, type CallOptions } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { extractTraceContext } from '@flywheel/telemetry';
import { context, trace } from '@opentelemetry/api';
import type { EngineDeps } from './engine-deps.ts';
import { runFailedEvent } from './run-events.ts';
import { executeRun, type RunExecution } from './run-execution.ts';
import { claimable, leaseOf, ownedBy } from './run-lease.ts';
import { isFinalRun, type RunOwner, type RunRecord, stepsAndIterations } from './run-records.ts';

/**
 * Executes the runs this replica owns: starts them, takes over those whose owner's lease ended,
 * cancels them (from any replica), stops cleanly.
 */
export interface RunEngine {
  /**
   * Executes a stored run in the background if this replica may own it (nobody else holds a live
   * lease); a no-op when it is final, owned by another live replica, or already executing here.
   */
  start(runId: string): void;
  /**
   * Starts every run that is not final and this replica may take (after a restart, or a lease
   * that ended). Resolves to how many. The engine also does this by itself every third of the lease.
   */
  resumeAll(options?: CallOptions): Promise<number>;
  /**
   * The owner stamp for a run this replica creates (so no other replica takes it before it starts).
   */
  newOwner(): RunOwner;
  /**
   * Records the cancellation (state CANCELLING, with `reason`) and, when this replica owns the run,
   * stops its jobs; another owner sees the request within its watch interval and stops them. The
   * run then ends CANCELLED; a run nobody holds a live lease on is ended CANCELLED at once. A final
   * run is returned as it is. Throws `not_found` for an unknown run.
   */
  cancel(runId: string, reason: string, options?: CallOptions): Promise<Doc<RunRecord>>;
  /**
   * Stops executing: running jobs are terminated without being recorded as failed, and the leases
   * are let go, so another replica (or the next start) resumes the runs at once. Resolves once every
   * execution has ended.
   */
  close(): Promise<void>;
}

const tracer = trace.getTracer('@flywheel/orchestrator');

/** The run engine on `deps`. */
export function createRunEngine(deps: EngineDeps): RunEngine {
  const me = deps.instance;
  const executions = new Map<string, RunExecution>();
  const stopping = new AbortController();
  // The owner re-reads its runs this often (cancel requests, lost leases) and renews each lease
  // once a third of it has passed; other replicas look for runs to take over every third.
  const watchMs = Math.max(20, Math.min(1000, Math.floor(deps.leaseMs / 3)));
  const renewAfterMs = deps.leaseMs / 3;
  const scanEveryMs = deps.leaseMs / 3;

  const start = (runId: string): void => {
    if (stopping.signal.aborted || executions.has(runId)) return;
    const execution = executeRun(deps, runId, stopping.signal);
    executions.set(runId, execution);
    void execution.done.finally(() => {
      if (executions.get(runId) === execution) executions.delete(runId);
      // Its reservation is free now (if it held one): waiting runs may fit.
      deps.admission.wake();
    });
  };

  const resumeAll = async (options: CallOptions = {}): Promise<number> => {
    const active = await deps.runs.find(
      { active: true },
      { ...options, limit: 10_000, sortBy: 'createTime' },
    );
    let started = 0;
    for (const doc of active) {
      if (executions.has(doc.id) || !claimable(doc.data, me, Date.now())) continue;
      started += 1;
      // Continue the trace of the request that created the run.
      const parent = extractTraceContext({ traceparent: doc.data.traceparent });
      const span = tracer.startSpan(
        'orchestrator resume run',
        { attributes: { 'flywheel.run_id': doc.id } },
        parent,
      );
      context.with(trace.setSpan(parent, span), () => start(doc.id));
      span.end();
    }
    if (started > 0) deps.log.info('resuming runs', { count: started });
    return started;
  };

  /** One look at a run executing here: lost to another replica, cancelled elsewhere, lease to renew. */
  const watchOne = async (execution: RunExecution): Promise<void> => {
    const signal = stopping.signal;
    const doc = await deps.runs.get(execution.runId, { signal });
    if (!doc || !execution.claimed || isFinalRun(doc.data.state)) return;
    if (!ownedBy(doc.data, me)) return execution.lose();
    if (doc.data.state === 'cancelling') execution.cancel(doc.data.cancelReason ?? '');
    const leaseUntil = doc.data.owner?.leaseUntil ?? 0;
    if (leaseUntil - Date.now() > deps.leaseMs - renewAfterMs) return;
    const renewed = await deps.runs.update(
      execution.runId,
      (record) => {
        if (isFinalRun(record.state) || !ownedBy(record, me)) return undefined;
        record.owner = leaseOf(me, deps.leaseMs, Date.now());
        return { record };
      },
      { signal },
    );
    if (!isFinalRun(renewed.data.state) && !ownedBy(renewed.data, me)) execution.lose();
  };

  let lastScan = Date.now();
  let pulsing = false;
  const pulse = async (): Promise<void> => {
    if (pulsing || stopping.signal.aborted) return;
    pulsing = true;
    try {
      await Promise.all(
        [...executions.values()].map((execution) =>
          watchOne(execution).catch((error: unknown) => {
            if (!stopping.signal.aborted)
              deps.log.warn('could not watch or renew a run lease; trying again', {
                runId: execution.runId,
                error: AppError.from(error).message,
              });
          }),
        ),
      );
      if (Date.now() - lastScan >= scanEveryMs) {
        lastScan = Date.now();
        await resumeAll({ signal: stopping.signal });
      }
    } catch (error) {
      if (!stopping.signal.aborted)
        deps.log.warn('could not look for runs to take over; trying again', {
          error: AppError.from(error).message,
        });
    } finally {
      pulsing = false;
    }
  };
  const timer = setInterval(() => void pulse(), watchMs);
  timer.unref();

  return {
    start,
    resumeAll,
    newOwner: () => leaseOf(me, deps.leaseMs, Date.now()),
    cancel: async (runId, reason, options = {}) => {
      const doc = await deps.runs.update(
        runId,
        (record) => {
          if (isFinalRun(record.state) || record.state === 'cancelling') return undefined;
          record.state = 'cancelling';
          if (reason) record.cancelReason = reason;
          return { record };
        },
        options,
      );
      const execution = executions.get(runId);
      if (execution) {
        execution.cancel(reason);
        return doc;
      }
      if (isFinalRun(doc.data.state)) return doc;
      // Nobody executes it here (another replica does, it never started, or its execution just
      // ended). The live owner stops it itself; with none, end it now.
      return deps.runs.update(
        runId,
        (record) => {
          if (isFinalRun(record.state)) return undefined;
          if (!claimable(record, me, Date.now())) return undefined;
          const endTime = new Date().toISOString();
          for (const step of stepsAndIterations(record)) {
            if (step.state === 'succeeded' || step.state === 'failed' || step.state === 'skipped') continue;
            step.state = 'cancelled';
            step.endTime = endTime;
          }
          const failure = {
            kind: 'cancelled' as const,
            message: reason ? `cancelled: ${reason}` : 'cancelled',
            stepName: '',
          };
          record.state = 'cancelled';
          record.active = false;
          record.failure = failure;
          record.endTime = endTime;
          // A late write of a previous owner must not land on the ended run.
          delete record.owner;
          return { record, events: [runFailedEvent(record, failure)] };
        },
        options,
      );
    },
    close: async () => {
      clearInterval(timer);
      stopping.abort();
      const ended = [...executions.values()];
      await Promise.all(ended.map((e) => e.done));
      // Let go of the leases: another replica takes the runs over without waiting for them to end.
      await Promise.all(
        ended.map((e) =>
          deps.runs
            .update(e.runId, (record) => {
              if (isFinalRun(record.state) || !ownedBy(record, me)) return undefined;
              delete record.owner;
              return { record };
            })
            .catch((error: unknown) =>
              deps.log.warn('could not let go of a run lease; it lapses by itself', {
                runId: e.runId,
                error: AppError.from(error).message,
              }),
            ),
        ),
      );
    },
  };
}
