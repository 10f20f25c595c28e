import { AppError, abortError, type Logger } from '@flywheel/core';
import { gaugeOf, histogramOf, longSecondsBuckets, type MetricsRegistry } from '@flywheel/metrics';
import { specOf } from '../runs/run-proto.ts';
import type { RunRecord } from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';
import { planAdmissions, type Reserved, type Waiting } from './admission-plan.ts';
import type { AdmissionConfig } from './queue-config.ts';
import { runDemand } from './run-demand.ts';

/** How a waiting run's execution writes what admission decided (through its owner-checked update). */
export interface AdmissionWriter {
  /** Records the run admitted (and running, with its events). */
  admit(): Promise<RunRecord>;
  /** Records its place in the queues and why it waits. */
  note(position: number, reason: string): Promise<void>;
}

/** Admits the waiting runs this replica executes, from the reservations recorded in the run store. */
export interface AdmissionController {
  /**
   * Resolves once the waiting run is admitted (its writer recorded it); rejects with the abort
   * reason when `signal` aborts first (cancel, stop).
   */
  waitForAdmission(run: RunRecord, writer: AdmissionWriter, signal: AbortSignal): Promise<void>;
  /** A run ended or was cancelled: its reservation is free, look again now. */
  wake(): void;
  close(): void;
}

export interface AdmissionControllerDeps {
  runs: RunStore;
  config: AdmissionConfig;
  log: Logger;
  metrics?: MetricsRegistry;
  /** How often waiting runs are looked at again (runs ending on other replicas), ms. Default 500. */
  pollMs?: number;
}

interface Waiter {
  runId: string;
  writer: AdmissionWriter;
  queue: string;
  resolve(): void;
}

/**
 * Every pass reads the active runs, counts the reservations of the admitted ones and lets
 * {@link planAdmissions} decide; the runs this replica holds are admitted (or told their place)
 * through their writers. Reservations live in the run records, so they survive a restart. Passes
 * are serialized in this process; replicas do not coordinate theirs, so two replicas admitting at
 * the same moment can together exceed a quota by one run each.
 */
export function createAdmissionController(deps: AdmissionControllerDeps): AdmissionController {
  const waiters = new Map<string, Waiter>();
  const queuedGauge = deps.metrics
    ? gaugeOf(deps.metrics, {
        name: 'flywheel_pipeline_queued_runs',
        help: 'Runs waiting in their queue on this orchestrator replica, by queue.',
        labelNames: ['queue'],
      })
    : undefined;
  const waitSeconds = deps.metrics
    ? histogramOf(deps.metrics, {
        name: 'flywheel_pipeline_queue_wait_seconds',
        help: 'How long runs waited in their queue before admission, by queue and team.',
        labelNames: ['queue', 'team'],
        buckets: longSecondsBuckets,
      })
    : undefined;
  const priorityOf = (record: RunRecord): number =>
    deps.config.queues.find((q) => q.name === record.queue)?.priority ?? record.admission?.priority ?? 0;
  const countQueued = (): void => {
    if (!queuedGauge) return;
    queuedGauge.reset();
    for (const q of deps.config.queues) queuedGauge.set({ queue: q.name }, 0);
    for (const w of waiters.values()) queuedGauge.inc({ queue: w.queue });
  };

  const pass = async (): Promise<void> => {
    if (waiters.size === 0) return;
    const active = await deps.runs.find({ active: true }, { limit: 10_000, sortBy: 'createTime' });
    const reserved: Reserved[] = [];
    const waiting: Waiting[] = [];
    const records = new Map<string, RunRecord>();
    for (const { data } of active) {
      records.set(data.id, data);
      if (data.admission?.state === 'waiting') {
        // A run cancelled while it waited reserves nothing and is not admitted.
        if (data.state !== 'queued') continue;
        waiting.push({
          id: data.id,
          team: data.team,
          demand: data.admission.demand,
          queue: data.queue ?? deps.config.defaultQueue,
          priority: priorityOf(data),
          queuedSince: Date.parse(data.admission.queuedSince),
        });
      } else {
        // Admitted, or stored before queues existed (it reserves what its steps ask for).
        reserved.push({
          id: data.id,
          team: data.team,
          demand: data.admission?.demand ?? runDemand(specOf(data)),
        });
      }
    }
    for (const decision of planAdmissions(deps.config, reserved, waiting)) {
      const waiter = waiters.get(decision.id);
      const record = records.get(decision.id);
      if (!waiter || !record?.admission) continue;
      if (decision.admit) {
        const admitted = await waiter.writer.admit();
        if (admitted.admission?.state !== 'admitted') continue;
        waiters.delete(decision.id);
        waitSeconds?.observe(
          { queue: waiter.queue, team: admitted.team },
          Math.max(
            0,
            (Date.parse(admitted.admission.admitTime ?? '') - Date.parse(admitted.admission.queuedSince)) /
              1000,
          ),
        );
        deps.log.info('run admitted', { runId: decision.id, queue: waiter.queue, team: admitted.team });
        waiter.resolve();
      } else if (
        record.admission.position !== decision.position ||
        record.admission.reason !== decision.reason
      ) {
        await waiter.writer.note(decision.position, decision.reason);
      }
    }
  };

  let passing: Promise<void> | undefined;
  let again = false;
  const wake = (): void => {
    if (passing) {
      again = true;
      return;
    }
    passing = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (error) {
          deps.log.warn('admission pass failed; trying again', { error: AppError.from(error).message });
        }
      } while (again);
      countQueued();
      passing = undefined;
    })();
  };
  const timer = setInterval(wake, deps.pollMs ?? 500);
  timer.unref();

  return {
    waitForAdmission: (run, writer, signal) =>
      new Promise<void>((resolve, reject) => {
        const runId = run.id;
        if (signal.aborted) return reject(abortError(signal));
        const onAbort = (): void => {
          if (waiters.get(runId)?.writer === writer) waiters.delete(runId);
          countQueued();
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiters.set(runId, {
          runId,
          writer,
          queue: run.queue ?? deps.config.defaultQueue,
          resolve: () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
        });
        wake();
      }),
    wake,
    close: () => clearInterval(timer),
  };
}
