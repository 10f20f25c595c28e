import type { JsonObject } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { AppError, delay, type Logger } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import { pipelineResolver, renderTemplate, TemplateError } from '@flywheel/pipelines';
import type { PipelineSpec, Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { ExecutorSet } from '../executors/executor-set.ts';
import type { EngineDeps, RunContext } from './engine-deps.ts';
import { endIteration, runFanOut } from './fan-out.ts';
import { maxAttemptsOf } from './retry-backoff.ts';
import {
  jobFailedEvent,
  runAdmittedEvent,
  runFailedEvent,
  runStartedEvent,
  runSucceededEvent,
} from './run-events.ts';
import { claimable, leaseOf, ownedBy } from './run-lease.ts';
import { specOf } from './run-proto.ts';
import {
  type FailureRecord,
  isFinalRun,
  isFinalStep,
  type RunRecord,
  type StepRecord,
} from './run-records.ts';
import type { RunChange } from './run-store.ts';
import { adoptableAttempt, countedAttempts, runStepAttempts, scopeOf, stepIn } from './step-attempts.ts';
import { ConditionError, evaluateCondition } from './step-condition.ts';

/** A run being executed in this process. */
export interface RunExecution {
  readonly runId: string;
  /** True once this process claimed the run (its owner stamp is in the record). */
  readonly claimed: boolean;
  /** Asks the run to stop: its jobs are terminated and it ends CANCELLED (recorded by CancelRun first). */
  cancel(reason: string): void;
  /**
   * Another replica owns the run now: stops the jobs like a service stop, writing nothing more
   * (every later write is refused anyway, since the record names another owner).
   */
  lose(): void;
  /** Resolves when the execution ended (the run is final, or the service is stopping). */
  readonly done: Promise<void>;
}

function now(): string {
  return new Date().toISOString();
}

/**
 * Executes a stored run until it is final, if this process may own it (see `claimable`): claims
 * it with a lease in the first write, then marks it running, runs the steps whose dependencies
 * are done (in parallel, up to `max_parallel_steps`), skips steps whose condition is false, fails
 * fast when a step fails (dependents are skipped, running steps cancelled), honours the run's
 * timeout and CancelRun, and records the end with its `pipeline.run-*` event. A run found mid-way
 * (after a restart) resumes: attempts that were running are recorded as interrupted and run again.
 */
export function executeRun(deps: EngineDeps, runId: string, serviceStop: AbortSignal): RunExecution {
  const runAbort = new AbortController();
  const lost = new AbortController();
  const stopSignal = AbortSignal.any([serviceStop, lost.signal]);
  let claimed = false;
  const done = (async () => {
    const log = deps.log.child({ runId });
    try {
      await execute(deps, runId, runAbort, { stopSignal, lost, onClaimed: () => (claimed = true) }, log);
    } catch (error) {
      if (!stopSignal.aborted)
        log.error('run execution failed; its lease lapses and a replica takes it over', { error });
    } finally {
      if (lost.signal.aborted) log.warn('another replica took the run over; stopped executing it here');
    }
  })();
  return {
    runId,
    get claimed() {
      return claimed;
    },
    cancel: (reason) =>
      runAbort.abort(new AppError('cancelled', reason ? `run cancelled: ${reason}` : 'run cancelled')),
    lose: () => lost.abort(new AppError('aborted', 'another replica owns the run')),
    done,
  };
}

interface Ownership {
  /** Aborts when the service stops or the run is lost to another replica. */
  stopSignal: AbortSignal;
  lost: AbortController;
  onClaimed(): void;
}

async function execute(
  deps: EngineDeps,
  runId: string,
  runAbort: AbortController,
  ownership: Ownership,
  log: Logger,
): Promise<void> {
  const { stopSignal, lost } = ownership;
  const me = deps.instance;
  const first = await deps.runs.get(runId, { signal: stopSignal });
  if (!first || isFinalRun(first.data.state)) return;
  let current = first.data;
  const spec = specOf(current);

  // The claim: one compare-and-set write that takes the lease and resumes what the last owner left.
  let claimed = false;
  const claim = await deps.runs.update(runId, (record) => {
    claimed = false;
    if (isFinalRun(record.state) || !claimable(record, me, Date.now())) return undefined;
    const previous = record.owner;
    record.owner = leaseOf(me, deps.leaseMs, Date.now());
    claimed = true;
    // Only a restart of this replica finds the job directory and process it left (same host, same work dir).
    const canReattach = !previous || previous.instanceId === me.id;
    return startOrResume(record, spec, canReattach ? deps.executors : undefined) ?? { record };
  });
  if (!claimed) return;
  current = claim.data;
  ownership.onClaimed();

  let queue: Promise<unknown> = Promise.resolve();
  const update = (mutation: (record: RunRecord) => RunChange | undefined): Promise<RunRecord> => {
    const next = queue.then(async () => {
      const doc = await deps.runs.update(runId, (record) => {
        // Never write over another replica's run: it took the run over after our lease ended.
        if (!ownedBy(record, me)) {
          lost.abort(new AppError('aborted', 'another replica owns the run'));
          throw new AppError('failed_precondition', `run "${runId}" is owned by another replica now`);
        }
        return mutation(record);
      });
      current = doc.data;
      return current;
    });
    queue = next.catch(() => {});
    return next;
  };
  const runSignal = AbortSignal.any([runAbort.signal, stopSignal]);
  const run: RunContext = { deps, runId, spec, current: () => current, update, runSignal, stopSignal, log };

  if (current.state === 'cancelling') runAbort.abort(new AppError('cancelled', 'run cancelled'));
  if (current.state === 'queued' && current.admission?.state === 'waiting') {
    const admitted = await waitInQueue(run).then(
      () => true,
      () => false,
    );
    // Stopping: the run stays waiting for the next start; cancelled: it ends below.
    if (!admitted && stopSignal.aborted) return;
  }

  const timeoutMs = spec.timeout ? durationMs(spec.timeout) : undefined;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            runAbort.abort(
              new AppError('deadline_exceeded', `the run exceeded its timeout of ${timeoutMs} ms`),
            ),
          Math.max(0, Date.parse(current.startTime ?? now()) + timeoutMs - Date.now()),
        );
  try {
    await runSteps(run, runAbort);
  } finally {
    clearTimeout(timer);
  }
  if (stopSignal.aborted) return;
  const wasFinal = isFinalRun(current.state);
  const ended = await update((record) => finish(record, run, runAbort.signal));
  if (!wasFinal && isFinalRun(ended.state)) deps.metrics?.ended(ended);
}

/**
 * Waits until admission lets the run in: then records it admitted and running, with `run.admitted`
 * and `pipeline.run-started`, in one write. Rejects when the run is cancelled or the service stops.
 */
function waitInQueue(run: RunContext): Promise<void> {
  return run.deps.admission.waitForAdmission(
    run.current(),
    {
      admit: () =>
        run.update((record) => {
          if (record.state !== 'queued' || record.admission?.state !== 'waiting') return undefined;
          const time = now();
          record.admission = {
            ...record.admission,
            state: 'admitted',
            admitTime: time,
            position: 0,
            reason: '',
          };
          record.state = 'running';
          record.startTime = time;
          return { record, events: [runAdmittedEvent(record), runStartedEvent(record)] };
        }),
      note: async (position, reason) => {
        await run.update((record) => {
          if (record.admission?.state !== 'waiting') return undefined;
          record.admission = { ...record.admission, position, reason };
          return { record };
        });
      },
    },
    run.runSignal,
  );
}

/**
 * Running, with `pipeline.run-started` the first time. An attempt still recorded running or queued
 * was cut short by the orchestrator dying (a clean stop records its own): a command job the
 * executor can reattach to is left running, to be adopted; any other is recorded interrupted and
 * crashed — it counts against `max_attempts`, and a step that used them all fails (so a step that
 * kills the orchestrator cannot loop).
 */
function startOrResume(
  record: RunRecord,
  spec: PipelineSpec,
  reattachable: ExecutorSet | undefined,
): RunChange | undefined {
  if (isFinalRun(record.state)) return undefined;
  const events: CloudEvent[] = [];
  let changed = false;
  // A run waiting in its queue starts when admitted (see waitInQueue).
  if (record.state === 'queued' && record.admission?.state !== 'waiting') {
    record.state = 'running';
    record.startTime = now();
    events.push(runStartedEvent(record));
    changed = true;
  }
  for (const step of record.steps) {
    if (step.state !== 'running' && step.state !== 'queued') continue;
    const stepSpec = spec.steps.find((s) => s.name === step.name);
    if (step.iterations) {
      // A fan-out stays RUNNING (its condition was evaluated once); its iterations resume.
      for (const iteration of step.iterations) {
        if (resumeStep(record, iteration, stepSpec, reattachable, events)) changed = true;
      }
      continue;
    }
    if (resumeStep(record, step, stepSpec, reattachable, events)) changed = true;
  }
  return changed ? { record, events } : undefined;
}

/** One step (or iteration) found RUNNING or QUEUED at a claim: see {@link startOrResume}; true when changed. */
function resumeStep(
  record: RunRecord,
  step: StepRecord,
  stepSpec: Step | undefined,
  reattachable: ExecutorSet | undefined,
  events: CloudEvent[],
): boolean {
  if (step.state !== 'running' && step.state !== 'queued') return false;
  const adoptable = reattachable ? adoptableAttempt(step, reattachable) : undefined;
  let lost: FailureRecord | undefined;
  for (const job of step.attempts) {
    if (job === adoptable || (job.state !== 'running' && job.state !== 'queued')) continue;
    const failure: FailureRecord = {
      kind: 'executor',
      message: 'interrupted: the orchestrator died during the attempt',
      stepName: step.name,
    };
    job.state = 'failed';
    job.failure = failure;
    job.interrupted = true;
    job.crashed = true;
    job.endTime = now();
    lost = failure;
    events.push(jobFailedEvent(record, step.name, job, failure, job.endTime));
  }
  if (adoptable) return true;
  const maxAttempts = maxAttemptsOf(stepSpec?.retry);
  if (lost && countedAttempts(step) >= maxAttempts) {
    step.state = 'failed';
    step.failure = {
      kind: 'executor',
      message: `the orchestrator died during attempt ${step.attempts.length} of step ${step.name}; ${countedAttempts(step)} of ${maxAttempts} attempts used, none left`,
      stepName: step.name,
    };
    step.endTime = now();
    return true;
  }
  step.state = 'pending';
  return true;
}

/** Launches ready steps until every step is final or the run is aborted; waits for those in flight. */
async function runSteps(run: RunContext, runAbort: AbortController): Promise<void> {
  const maxParallel = run.spec.maxParallelSteps;
  const inFlight = new Map<string, Promise<void>>();
  for (;;) {
    if (!run.runSignal.aborted) {
      for (const [index, step] of run.spec.steps.entries()) {
        if (maxParallel > 0 && inFlight.size >= maxParallel) break;
        if (inFlight.has(step.name)) continue;
        const record = run.current();
        const state = stepIn(record, step.name);
        if (isFinalStep(state.state) || !dependenciesDone(record, step)) continue;
        if (state.state === 'pending' && !(await conditionHolds(run, step))) continue;
        const attempt = (step.forEach ? runFanOut(run, step, index) : runStepAttempts(run, step)).finally(
          () => inFlight.delete(step.name),
        );
        inFlight.set(step.name, attempt);
      }
    }
    if (inFlight.size === 0) return;
    const broken = await Promise.race([...inFlight.values()]).then(
      () => undefined,
      (error: unknown) => error ?? new Error('step failed without a reason'),
    );
    if (broken !== undefined) {
      run.log.warn('could not record a step transition; trying the step again shortly', { error: broken });
      await delay(1000, run.stopSignal).catch(() => {});
    }
    const failed = run.current().steps.find((s) => s.state === 'failed');
    if (failed && !runAbort.signal.aborted) {
      runAbort.abort(new AppError('cancelled', `stopped because step ${failed.name} failed`));
    }
  }
}

function dependenciesDone(record: RunRecord, step: Step): boolean {
  return step.dependsOn.every((name) => {
    const state = stepIn(record, name).state;
    return state === 'succeeded' || state === 'skipped';
  });
}

/** Evaluates the step's condition; false records it SKIPPED, an invalid one FAILED. */
async function conditionHolds(run: RunContext, step: Step): Promise<boolean> {
  if (step.condition.trim() === '') return true;
  let holds: boolean;
  let failure: FailureRecord | undefined;
  try {
    holds = evaluateCondition(step.condition, scopeOf(run.current()));
  } catch (error) {
    if (!(error instanceof ConditionError) && !(error instanceof TemplateError)) throw error;
    holds = false;
    failure = {
      kind: 'invalid',
      message: `condition "${step.condition}": ${error.message}`,
      stepName: step.name,
    };
  }
  if (holds) return true;
  await run.update((record) => {
    const s = stepIn(record, step.name);
    s.state = failure ? 'failed' : 'skipped';
    s.endTime = now();
    if (failure) s.failure = failure;
    return { record };
  });
  return false;
}

/** The run's final state, with its event: cancelled, timed out, failed by a step, or succeeded with its outputs. */
function finish(record: RunRecord, run: RunContext, runAbortSignal: AbortSignal): RunChange | undefined {
  if (isFinalRun(record.state)) return undefined;
  const endTime = now();
  const reason = runAbortSignal.aborted ? AppError.from(runAbortSignal.reason) : undefined;
  const failedStep = record.steps.find((s) => s.state === 'failed');
  let failure: FailureRecord | undefined;
  if (record.state === 'cancelling') {
    failure = {
      kind: 'cancelled',
      message: record.cancelReason ? `cancelled: ${record.cancelReason}` : 'cancelled',
      stepName: '',
    };
  } else if (failedStep?.failure) {
    failure = failedStep.failure;
  } else if (reason?.code === 'deadline_exceeded') {
    failure = { kind: 'timed_out', message: reason.message, stepName: '' };
  } else if (record.steps.some((s) => !isFinalStep(s.state))) {
    failure = {
      kind: 'executor',
      message: 'the run stopped with steps left that cannot start',
      stepName: '',
    };
  }
  let outputs: JsonObject | undefined;
  if (!failure) {
    try {
      outputs = runOutputs(record, run);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      failure = { kind: 'invalid', message: `outputs: ${error.message}`, stepName: '' };
    }
  }
  record.endTime = endTime;
  record.active = false;
  if (!failure) {
    record.state = 'succeeded';
    record.outputs = outputs ?? {};
    return { record, events: [runSucceededEvent(record)] };
  }
  for (const step of record.steps) endStep(step, record.state === 'cancelling', endTime);
  record.state = record.state === 'cancelling' ? 'cancelled' : 'failed';
  record.failure = failure;
  return { record, events: [runFailedEvent(record, failure)] };
}

/** A step left unfinished by a run that ended: skipped if it never started, else cancelled. */
function endStep(step: StepRecord, cancelled: boolean, endTime: string): void {
  for (const iteration of step.iterations ?? []) endIteration(iteration, endTime);
  if (isFinalStep(step.state)) return;
  step.state = step.attempts.length === 0 && !cancelled ? 'skipped' : 'cancelled';
  step.endTime = endTime;
  delete step.nextAttemptTime;
}

function runOutputs(record: RunRecord, run: RunContext): JsonObject {
  const scope = scopeOf(record);
  const resolve = pipelineResolver(scope);
  const outputs: JsonObject = {};
  for (const [name, template] of Object.entries(run.spec.outputs))
    outputs[name] = renderTemplate(template, resolve);
  return outputs;
}
