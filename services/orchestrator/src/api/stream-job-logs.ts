import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { StreamJobLogsRequest } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import type { JobLogs, LogLineRecord } from '../executors/job-logs.ts';
import {
  isFinalRun,
  isFinalStep,
  type JobRecord,
  type RunRecord,
  stepsAndIterations,
} from '../runs/run-records.ts';
import type { RunStore } from '../runs/run-store.ts';
import { createWakeup } from './wakeup.ts';

/** A captured line with the job it belongs to. */
export interface JobLogLine extends LogLineRecord {
  jobId: string;
  stepName: string;
  attempt: number;
}

/** Lines per streamed message. */
const batchLines = 200;
/** How often a follower re-reads the run for jobs started elsewhere, ms. */
const pollMs = 1000;

interface Selected {
  stepName: string;
  job: JobRecord;
}

/**
 * StreamJobLogs: the captured lines of a run's jobs — one step's or every step's (interleaved by
 * time), one attempt or the latest of each step — cut to `since_time` and the last `tail_lines`
 * per job. With `follow`, keeps sending new lines (and the lines of attempts that start later)
 * until the selected steps are final and their logs are closed. Throws `not_found` for an unknown
 * run, `invalid_argument` for an unknown step.
 */
export function createStreamJobLogs(deps: { runs: RunStore; logs: JobLogs }) {
  return async function* streamJobLogs(
    request: StreamJobLogsRequest,
    signal: AbortSignal,
  ): AsyncGenerator<JobLogLine[]> {
    const doc = await deps.runs.get(request.runId, { signal });
    if (!doc) throw new AppError('not_found', `run "${request.runId}" not found`);
    if (request.stepName && !doc.data.steps.some((s) => s.name === request.stepName)) {
      throw AppError.invalidArgument('step_name', `run "${request.runId}" has no step "${request.stepName}"`);
    }
    const since = request.sinceTime ? timestampMs(request.sinceTime) : undefined;
    const cut = (lines: LogLineRecord[]): LogLineRecord[] => {
      const recent = since === undefined ? lines : lines.filter((line) => Date.parse(line.time) >= since);
      return request.tailLines > 0 ? recent.slice(-request.tailLines) : recent;
    };
    if (!request.follow) {
      const all: JobLogLine[] = [];
      for (const { stepName, job } of selectJobs(doc.data, request, false)) {
        const lines = cut(await deps.logs.read(job.id, { signal }));
        all.push(...lines.map((line) => ({ ...line, jobId: job.id, stepName, attempt: job.attempt })));
      }
      all.sort((a, b) => a.time.localeCompare(b.time));
      for (let at = 0; at < all.length; at += batchLines) yield all.slice(at, at + batchLines);
      return;
    }
    yield* follow(deps, request, doc.data, cut, signal);
  };
}

/** The jobs a request names in `record`: with `everyAttempt`, all attempts of the steps (for following). */
function selectJobs(record: RunRecord, request: StreamJobLogsRequest, everyAttempt: boolean): Selected[] {
  const selected: Selected[] = [];
  for (const step of stepsAndIterations(record)) {
    if (request.stepName && !namesStep(request.stepName, step.name)) continue;
    const jobs =
      request.attempt > 0
        ? step.attempts.filter((j) => j.attempt === request.attempt)
        : everyAttempt
          ? step.attempts
          : step.attempts.slice(-1);
    for (const job of jobs) selected.push({ stepName: step.name, job });
  }
  return selected;
}

/** True when `requested` names `stepName`: itself, or the `for_each` step it is an iteration of. */
function namesStep(requested: string, stepName: string): boolean {
  return stepName === requested || stepName.startsWith(`${requested}[`);
}

/** True once nothing more will be logged for the request. */
function finished(record: RunRecord, request: StreamJobLogsRequest): boolean {
  if (isFinalRun(record.state)) return true;
  const steps = stepsAndIterations(record).filter(
    (s) => !request.stepName || namesStep(request.stepName, s.name),
  );
  if (request.attempt > 0) {
    return steps.every(
      (s) => isFinalStep(s.state) || s.attempts.some((j) => j.attempt === request.attempt && j.endTime),
    );
  }
  return steps.every((s) => isFinalStep(s.state));
}

async function* follow(
  deps: { runs: RunStore; logs: JobLogs },
  request: StreamJobLogsRequest,
  initial: RunRecord,
  cut: (lines: LogLineRecord[]) => LogLineRecord[],
  signal: AbortSignal,
): AsyncGenerator<JobLogLine[]> {
  const ready: JobLogLine[][] = [];
  const wakeup = createWakeup();
  const pumps = new Map<string, Promise<void>>();
  let failure: unknown;
  // Attempts that ended before the call: only the latest of each step, as without follow.
  const startedBefore = new Set(selectJobs(initial, request, true).map((s) => s.job.id));
  const latestBefore = new Set(selectJobs(initial, request, false).map((s) => s.job.id));

  const pump = async ({ stepName, job }: Selected): Promise<void> => {
    let first = true;
    for await (const lines of deps.logs.follow(job.id, -1, signal)) {
      const kept = first ? cut(lines) : lines;
      first = false;
      if (kept.length > 0)
        ready.push(kept.map((line) => ({ ...line, jobId: job.id, stepName, attempt: job.attempt })));
      wakeup.poke();
    }
  };
  const discover = (record: RunRecord): void => {
    for (const selected of selectJobs(record, request, true)) {
      const id = selected.job.id;
      if (pumps.has(id)) continue;
      if (startedBefore.has(id) && !latestBefore.has(id)) continue;
      pumps.set(
        id,
        pump(selected).catch((error: unknown) => {
          failure ??= error;
        }),
      );
    }
  };

  let record = initial;
  const unwatch = deps.runs.watch(request.runId, (doc) => {
    record = doc.data;
    discover(record);
    wakeup.poke();
  });
  try {
    discover(record);
    for (;;) {
      while (ready.length > 0) {
        const lines = ready.shift() ?? [];
        for (let at = 0; at < lines.length; at += batchLines) yield lines.slice(at, at + batchLines);
      }
      if (failure !== undefined) throw failure;
      if (finished(record, request)) {
        await Promise.all(pumps.values());
        if (ready.length === 0) return;
        continue;
      }
      if (ready.length === 0) await wakeup.wait(pollMs, signal);
      signal.throwIfAborted();
      if (ready.length === 0) {
        const latest = await deps.runs.get(request.runId, { signal });
        if (latest) {
          record = latest.data;
          discover(record);
        }
      }
    }
  } finally {
    unwatch();
  }
}
