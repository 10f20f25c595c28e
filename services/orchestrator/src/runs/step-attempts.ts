import { join } from 'node:path';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { AppError, delay } from '@flywheel/core';
import {
  inputsKey,
  type PipelineScope,
  pipelineResolver,
  renderJson,
  renderTemplate,
  TemplateError,
} from '@flywheel/pipelines';
import type { Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { context, trace } from '@opentelemetry/api';
import { codeVersionOf } from '../executors/code-version.ts';
import { type ExecutorSet, requestedResources } from '../executors/executor-set.ts';
import { JobFailure } from '../executors/job-executor.ts';
import type { JobLogSink } from '../executors/job-logs.ts';
import type { MeasuredUsage } from '../executors/process-usage.ts';
import { runBuiltinStep } from './builtin-step-runner.ts';
import type { RunContext } from './engine-deps.ts';
import { maxAttemptsOf, retryDelayMs } from './retry-backoff.ts';
import { jobFailedEvent, jobStartedEvent, jobSucceededEvent } from './run-events.ts';
import { triggerOf } from './run-proto.ts';
import type { FailureRecord, JobRecord, JobUsageRecord, RunRecord, StepRecord } from './run-records.ts';

const tracer = trace.getTracer('@flywheel/orchestrator');

const iterationPattern = /^(.+)\[(\d+)\]$/;

/**
 * The step's record in `record` — an iteration's for `<step>[<index>]` (step names have no
 * brackets); throws `internal` when the run has no such step.
 */
export function stepIn(record: RunRecord, name: string): StepRecord {
  const iteration = iterationPattern.exec(name);
  const parentName = iteration ? iteration[1]! : name;
  const parent = record.steps.find((s) => s.name === parentName);
  const step = iteration ? parent?.iterations?.[Number(iteration[2])] : parent;
  if (!step) throw new AppError('internal', `run ${record.id} has no step "${name}"`);
  return step;
}

/** What a step's templates see: {@link scopeOf}, with the item and index for an iteration. */
function stepScope(record: RunRecord, name: string): PipelineScope {
  const scope = scopeOf(record);
  const iteration = iterationPattern.exec(name);
  if (!iteration) return scope;
  const index = Number(iteration[2]);
  const item = stepIn(record, iteration[1]!).items?.[index];
  return item === undefined ? scope : { ...scope, forEach: { item, index } };
}

/**
 * What templates see in `record`: its parameters, finished steps' outputs (a command step's with its
 * `code_version` unless it reported one itself), the run itself.
 */
export function scopeOf(record: RunRecord): PipelineScope {
  const steps: Record<string, JsonObject> = {};
  for (const step of record.steps) {
    if (step.state !== 'succeeded' || !step.outputs) continue;
    steps[step.name] =
      step.codeVersion !== undefined && step.outputs.code_version === undefined
        ? { ...step.outputs, code_version: step.codeVersion }
        : step.outputs;
  }
  return { params: record.parameters, steps, run: { id: record.id, pipeline_name: record.pipelineName } };
}

/** A directory or file name safe on every filesystem. */
function pathSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

function now(): string {
  return new Date().toISOString();
}

/** The attempt's timeout, ms: the step's, else the pipeline's; undefined for none. */
function attemptTimeoutMs(run: RunContext, step: Step): number | undefined {
  const timeout = step.timeout ?? run.spec.timeout;
  return timeout ? durationMs(timeout) : undefined;
}

/**
 * Runs a step to the end: attempts with retries and backoff, each in its own job with a timeout,
 * recording every transition (and its `job.*` event) in the run. The outcome is the step's state in
 * the run; rejects only when a transition cannot be recorded. Stops without recording anything more when the service stops, so the
 * next start resumes the step.
 */
export async function runStepAttempts(run: RunContext, step: Step): Promise<void> {
  try {
    await attempts(run, step);
  } catch (error) {
    // Only the store can fail here (everything else is the step's recorded failure).
    if (!run.stopSignal.aborted) throw error;
  }
}

async function attempts(run: RunContext, step: Step): Promise<void> {
  const maxAttempts = maxAttemptsOf(step.retry);
  for (;;) {
    const current = stepIn(run.current(), step.name);
    if (current.state === 'retrying' && current.nextAttemptTime) {
      const waitMs = Date.parse(current.nextAttemptTime) - Date.now();
      if (waitMs > 0) {
        try {
          await delay(waitMs, run.runSignal);
        } catch {
          return; // cancelled, failed or stopping: the run records the step's end
        }
      }
    }
    if (run.runSignal.aborted) return;
    await run.update((record) => {
      const s = stepIn(record, step.name);
      if (s.state === 'queued') return undefined;
      s.state = 'queued';
      return { record };
    });
    let release: () => void;
    try {
      release = await run.deps.slots.acquire(run.runSignal);
    } catch {
      return;
    }
    let again: boolean;
    const span = tracer.startSpan(`orchestrator step ${step.name}`, {
      attributes: { 'flywheel.run_id': run.runId, 'flywheel.step': step.name },
    });
    try {
      // The attempt's events continue the run's trace under this span.
      again = await context.with(trace.setSpan(context.active(), span), () =>
        oneAttempt(run, step, maxAttempts),
      );
    } finally {
      span.end();
      release();
    }
    if (!again) return;
  }
}

/** Attempts that count against `max_attempts`: all but those a clean stop of the orchestrator cut short. */
export function countedAttempts(step: StepRecord): number {
  return step.attempts.filter((j) => !j.interrupted || j.crashed).length;
}

/** The attempt a previous orchestrator process left running and the executor that started it can pick up, if any. */
export function adoptableAttempt(step: StepRecord, executors: ExecutorSet): JobRecord | undefined {
  const last = step.attempts.at(-1);
  return last?.state === 'running' && last.executorHandle && executors.get(last.executor)?.reattach
    ? last
    : undefined;
}

/** Runs one attempt (or adopts the one left running) and records its end; resolves true when another attempt follows. */
async function oneAttempt(run: RunContext, step: Step, maxAttempts: number): Promise<boolean> {
  const record = run.current();
  const stepRecord = stepIn(record, step.name);
  const adopting = adoptableAttempt(stepRecord, run.deps.executors);
  const attempt = adopting?.attempt ?? stepRecord.attempts.length + 1;
  const counted = countedAttempts(stepRecord) + (adopting ? 0 : 1);
  const jobId = adopting?.id ?? `${run.runId}/${step.name}/${attempt}`;
  const jobDir = join(run.deps.workDir, pathSafe(run.runId), pathSafe(step.name), String(attempt));
  const job: JobRecord = adopting ?? {
    id: jobId,
    attempt,
    state: 'queued',
    executor: run.deps.executors.nameOf(step),
    executorRef: '',
    createTime: now(),
  };
  if (step.kind.case === 'builtin') {
    job.executorRef = `builtin:${step.kind.value.name}`;
  }

  const logs = run.deps.logs.open({ runId: run.runId, jobId });
  const timeoutMs = attemptTimeoutMs(run, step);
  const timeout = new AbortController();
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            timeout.abort(
              new AppError('deadline_exceeded', `the attempt exceeded its timeout of ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
  const signal = AbortSignal.any([run.runSignal, timeout.signal]);
  let started = adopting !== undefined;
  let measured: MeasuredUsage | undefined;
  let accounted: { team: string; usage: JobUsageRecord } | undefined;
  const account = (j: JobRecord, team: string): void => {
    const usage = usageOf(measured, j);
    if (!usage) return;
    j.usage = usage;
    accounted = { team, usage };
  };
  const reportAccounted = (): void => {
    if (accounted) run.deps.metrics?.jobUsed?.(accounted.team, step.resources?.cpu ?? 0, accounted.usage);
  };
  const markStarted = async (executorRef: string, executorHandle?: string): Promise<void> => {
    started = true;
    await run.update((r) => {
      const s = stepIn(r, step.name);
      const startTime = now();
      const j: JobRecord = {
        ...job,
        state: 'running',
        executorRef,
        startTime,
        ...(executorHandle ? { executorHandle } : {}),
      };
      s.attempts.push(j);
      s.state = 'running';
      s.startTime ??= startTime;
      delete s.nextAttemptTime;
      return { record: r, events: [jobStartedEvent(r, step.name, j)] };
    });
  };

  try {
    logs.write(
      'system',
      `attempt ${attempt}${maxAttempts > 1 ? ` of ${maxAttempts}` : ''} of step ${step.name}`,
    );
    if (adopting) {
      await run.update((r) => {
        const s = stepIn(r, step.name);
        if (s.state === 'running') return undefined;
        s.state = 'running';
        return { record: r };
      });
    }
    const { outputs, codeVersion } = await execute(run, step, {
      record,
      jobId,
      attempt,
      jobDir,
      signal,
      logs,
      markStarted,
      reportUsage: (usage) => {
        measured = usage;
      },
      ...(adopting?.executorHandle
        ? { adoptHandle: adopting.executorHandle, adoptedBy: adopting.executor }
        : {}),
    });
    logs.write('system', 'succeeded');
    await logs.close();
    await run.update((r) => {
      const s = stepIn(r, step.name);
      const j = s.attempts.find((a) => a.id === jobId);
      if (!j) return undefined;
      j.state = 'succeeded';
      j.endTime = now();
      account(j, r.team);
      s.state = 'succeeded';
      s.outputs = outputs;
      if (codeVersion !== undefined) s.codeVersion = codeVersion;
      s.endTime = j.endTime;
      return { record: r, events: [jobSucceededEvent(r, step.name, j, outputs)] };
    });
    reportAccounted();
    return false;
  } catch (error) {
    if (run.stopSignal.aborted) {
      logs.write('system', 'the orchestrator is stopping: the attempt will run again when it starts');
      await logs.close();
      await recordStopped(run, step.name, jobId).catch(() => {
        // Unrecorded, the next start counts the attempt as lost in a crash: the safe side.
      });
      return false;
    }
    const { failure, retriable } = classify(error, step.name, run.runSignal, timeout.signal);
    const cancelled = run.runSignal.aborted;
    const willRetry = !cancelled && retriable && counted < maxAttempts;
    const waitMs = willRetry ? retryDelayMs(step.retry, counted, run.deps.random) : 0;
    const nextAttemptTime = willRetry ? new Date(Date.now() + waitMs).toISOString() : undefined;
    logs.write(
      'system',
      `${cancelled ? 'stopped' : 'failed'}: ${failure.message}${willRetry ? `; attempt ${attempt + 1} in ${waitMs} ms` : ''}`,
    );
    await logs.close();
    await run.update((r) => {
      const s = stepIn(r, step.name);
      let j = s.attempts.find((a) => a.id === jobId);
      if (!j) {
        j = { ...job };
        s.attempts.push(j);
      }
      j.state = cancelled ? 'cancelled' : 'failed';
      j.failure = failure;
      if (failure.exitCode !== undefined) j.exitCode = failure.exitCode;
      j.endTime = now();
      account(j, r.team);
      if (nextAttemptTime) {
        s.state = 'retrying';
        s.nextAttemptTime = nextAttemptTime;
      } else {
        s.state = cancelled ? 'cancelled' : 'failed';
        s.failure = failure;
        s.endTime = j.endTime;
        delete s.nextAttemptTime;
      }
      // A job that never started announced nothing; its failure is the step's (see GetRun).
      const events = started ? [jobFailedEvent(r, step.name, j, failure, nextAttemptTime)] : [];
      return { record: r, events };
    });
    reportAccounted();
    return willRetry;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Records an attempt a clean stop of the orchestrator cut short as interrupted (not counted
 * against the retry budget); the step runs it again on the next start.
 */
async function recordStopped(run: RunContext, stepName: string, jobId: string): Promise<void> {
  await run.update((r) => {
    const s = stepIn(r, stepName);
    const j = s.attempts.find((a) => a.id === jobId);
    if (!j || (j.state !== 'running' && j.state !== 'queued')) return undefined;
    const failure: FailureRecord = {
      kind: 'executor',
      message: 'interrupted: the orchestrator stopped during the attempt; it runs again',
      stepName,
    };
    j.state = 'failed';
    j.failure = failure;
    j.interrupted = true;
    j.endTime = now();
    s.state = 'pending';
    return { record: r, events: [jobFailedEvent(r, stepName, j, failure, j.endTime)] };
  });
}

interface AttemptInput {
  record: RunRecord;
  jobId: string;
  attempt: number;
  jobDir: string;
  signal: AbortSignal;
  logs: JobLogSink;
  markStarted(executorRef: string, executorHandle?: string): Promise<void>;
  reportUsage(usage: MeasuredUsage): void;
  /** Set when adopting the job a previous orchestrator process left running. */
  adoptHandle?: string;
  /** The executor that started the adopted job. */
  adoptedBy?: string;
}

async function execute(
  run: RunContext,
  step: Step,
  input: AttemptInput,
): Promise<{ outputs: JsonObject; codeVersion?: string }> {
  const { record } = input;
  const scope = stepScope(record, step.name);
  const resolve = pipelineResolver(scope);
  const parameters = renderJson(step.parameters ?? {}, resolve) as JsonObject;
  if (step.kind.case === 'builtin') {
    const builtin = run.deps.builtins[step.kind.value.name];
    if (!builtin)
      throw new JobFailure('invalid', `unknown built-in step "${step.kind.value.name}"`, {
        retriable: false,
      });
    await input.markStarted(`builtin:${step.kind.value.name}`);
    const outputs = await runBuiltinStep({
      step: builtin,
      context: {
        runId: run.runId,
        pipelineName: record.pipelineName,
        stepName: step.name,
        trigger: triggerOf(record),
        attempt: input.attempt,
        parameters,
        outputs: scope.steps,
        signal: input.signal,
      },
      jobDir: input.jobDir,
      logs: input.logs,
      log: run.log,
    });
    return { outputs };
  }
  if (step.kind.case !== 'command')
    throw new JobFailure('invalid', 'the step has no kind', { retriable: false });
  const command = step.kind.value;
  const inputs: Record<string, JsonValue> = {};
  for (const dependency of step.dependsOn) {
    const outputs = scope.steps[dependency];
    if (outputs) inputs[dependency] = outputs;
  }
  const job = {
    jobId: input.jobId,
    runId: run.runId,
    pipelineName: record.pipelineName,
    stepName: step.name,
    attempt: input.attempt,
    argv: command.command.map((arg) => asText(renderTemplate(arg, resolve))),
    env: Object.fromEntries(
      Object.entries(command.env).map(([k, v]) => [k, asText(renderTemplate(v, resolve))]),
    ),
    workingDir: command.workingDir ? asText(renderTemplate(command.workingDir, resolve)) : '',
    image: command.image,
    resources: requestedResources(step.resources),
    ...(command.ray ? { ray: command.ray } : {}),
    ...(command.kubernetes ? { kubernetes: command.kubernetes } : {}),
    ...(command.python ? { python: command.python } : {}),
    parametersFile: { ...parameters, [inputsKey]: inputs },
    jobDir: input.jobDir,
    signal: input.signal,
    logs: input.logs,
    started: input.markStarted,
    reportUsage: input.reportUsage,
  };
  // An adopted job goes back to the executor that started it, whatever the spec says now.
  const name = input.adoptedBy ?? run.deps.executors.nameOf(step);
  const executor = run.deps.executors.get(name);
  if (!executor) {
    // Checked at submit; a restart with fewer executors configured meets it here.
    throw new JobFailure('invalid', `no executor named "${name}" is configured`, { retriable: false });
  }
  const outputs = await (input.adoptHandle && executor.reattach
    ? executor.reattach(job, input.adoptHandle)
    : executor.run(job));
  // The step's own code version, for lineage (`${steps.<name>.code_version}`).
  return { outputs, codeVersion: await codeVersionOf(job.argv, job.workingDir || job.jobDir) };
}

/** The attempt's usage record: what the executor measured, with the wall time from start to end. */
function usageOf(measured: MeasuredUsage | undefined, job: JobRecord): JobUsageRecord | undefined {
  if (!measured) return undefined;
  const wallMs = job.startTime && job.endTime ? Date.parse(job.endTime) - Date.parse(job.startTime) : 0;
  return { ...measured, wallSeconds: Math.max(0, wallMs / 1000) };
}

function asText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The recorded failure of an attempt, and whether another attempt may help. */
function classify(
  error: unknown,
  stepName: string,
  runSignal: AbortSignal,
  timeoutSignal: AbortSignal,
): { failure: FailureRecord; retriable: boolean } {
  if (runSignal.aborted) {
    const reason = AppError.from(runSignal.reason);
    return { failure: { kind: 'cancelled', message: reason.message, stepName }, retriable: false };
  }
  if (timeoutSignal.aborted) {
    return {
      failure: { kind: 'timed_out', message: AppError.from(timeoutSignal.reason).message, stepName },
      retriable: true,
    };
  }
  if (error instanceof JobFailure) {
    return {
      failure: {
        kind: error.kind,
        message: error.message,
        stepName,
        ...(error.exitCode === undefined ? {} : { exitCode: error.exitCode }),
      },
      retriable: error.retriable,
    };
  }
  if (error instanceof TemplateError) {
    return { failure: { kind: 'invalid', message: error.message, stepName }, retriable: false };
  }
  const appError = AppError.from(error);
  return {
    failure: { kind: 'step_failed', message: appError.message, stepName },
    retriable: appError.retriable,
  };
}
