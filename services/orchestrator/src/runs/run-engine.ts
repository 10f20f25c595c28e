import type { CallOptions } from '@flywheel/core';
import type { Doc } from '@flywheel/store';
import { extractTraceContext } from '@flywheel/telemetry';
import { context, trace } from '@opentelemetry/api';
import type { EngineDeps } from './engine-deps.ts';
import { runFailedEvent } from './run-events.ts';
import { executeRun, type RunExecution } from './run-execution.ts';
import { isFinalRun, type RunRecord } from './run-records.ts';

/** Executes runs in this process: starts them, resumes them after a restart, cancels them, stops cleanly. */
export interface RunEngine {
  /** Executes a stored run in the background; a no-op when it is final or already executing here. */
  start(runId: string): void;
  /** Starts every run the store holds that is not final (after a restart). Resolves to how many. */
  resumeAll(options?: CallOptions): Promise<number>;
  /**
   * Records the cancellation (state CANCELLING, with `reason`) and stops the run's jobs; the run
   * then ends CANCELLED. A final run is returned as it is. Throws `not_found` for an unknown run.
   */
  cancel(runId: string, reason: string, options?: CallOptions): Promise<Doc<RunRecord>>;
  /**
   * Stops executing: running jobs are terminated without being recorded as failed, so the next
   * start of the service resumes them. Resolves once every execution has ended.
   */
  close(): Promise<void>;
}

const tracer = trace.getTracer('@flywheel/orchestrator');

/** The run engine on `deps`. */
export function createRunEngine(deps: EngineDeps): RunEngine {
  const executions = new Map<string, RunExecution>();
  const stopping = new AbortController();

  const start = (runId: string): void => {
    if (stopping.signal.aborted || executions.has(runId)) return;
    const execution = executeRun(deps, runId, stopping.signal);
    executions.set(runId, execution);
    void execution.done.finally(() => executions.delete(runId));
  };

  return {
    start,
    resumeAll: async (options = {}) => {
      const active = await deps.runs.find(
        { active: true },
        { ...options, limit: 10_000, sortBy: 'createTime' },
      );
      for (const doc of active) {
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
      if (active.length > 0) deps.log.info('resuming runs', { count: active.length });
      return active.length;
    },
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
      // Nobody executes it here (it never started, or its execution just ended): end it now.
      return deps.runs.update(
        runId,
        (record) => {
          if (isFinalRun(record.state)) return undefined;
          const endTime = new Date().toISOString();
          for (const step of record.steps) {
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
          return { record, events: [runFailedEvent(record, failure)] };
        },
        options,
      );
    },
    close: async () => {
      stopping.abort();
      await Promise.all([...executions.values()].map((e) => e.done));
    },
  };
}
