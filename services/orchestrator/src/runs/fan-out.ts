import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { AppError, delay, isAppError } from '@flywheel/core';
import { forEachItemsOf, pipelineResolver, renderTemplate } from '@flywheel/pipelines';
import type { Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { context, trace } from '@opentelemetry/api';
import type { RunContext } from './engine-deps.ts';
import { type FailureRecord, isFinalStep, iterationName, type StepRecord } from './run-records.ts';
import { runStepAttempts, scopeOf, stepIn } from './step-attempts.ts';

const tracer = trace.getTracer('@flywheel/orchestrator');

function now(): string {
  return new Date().toISOString();
}

/**
 * Runs a `for_each` step (spec index `stepIndex`): resolves its items once — recording them with
 * one PENDING record per iteration, so a restart iterates the same list and skips finished
 * iterations — then runs each iteration like a step of its own (retries, timeout, resources,
 * executor; job events; one span each, under the step's span), at most `parallelism` at once (0:
 * `max_parallel_steps` when set, else the executor's slots). The first iteration that fails after
 * its retries stops the others: running ones are cancelled, those not started end CANCELLED, and
 * the step fails with that iteration's failure. All succeeded: the step succeeds with, per output
 * key, the list of the iterations' values in index order (null where one did not set the key).
 * Items that are not a list (or too many) fail the step naming `steps[i].for_each.items`.
 */
export async function runFanOut(run: RunContext, step: Step, stepIndex: number): Promise<void> {
  if (!(await resolveItems(run, step, stepIndex))) return;
  const span = tracer.startSpan(`orchestrator step ${step.name}`, {
    attributes: {
      'flywheel.run_id': run.runId,
      'flywheel.step': step.name,
      'flywheel.iterations': stepIn(run.current(), step.name).iterations?.length ?? 0,
    },
  });
  try {
    await context.with(trace.setSpan(context.active(), span), () => iterate(run, step));
  } finally {
    span.end();
  }
  if (run.stopSignal.aborted) return; // the next start resumes the iterations
  await run.update((record) => {
    const parent = stepIn(record, step.name);
    if (isFinalStep(parent.state)) return undefined;
    const ended = endFanOut(parent, step.name);
    return ended ? { record } : undefined;
  });
}

/** Records the items and the iterations; false when there is nothing to iterate (the step ended). */
async function resolveItems(run: RunContext, step: Step, stepIndex: number): Promise<boolean> {
  const known = stepIn(run.current(), step.name);
  if (known.items) return !isFinalStep(known.state);
  const field = `steps[${stepIndex}].for_each.items`;
  let items: JsonValue[] = [];
  let failure: FailureRecord | undefined;
  try {
    const resolve = pipelineResolver(scopeOf(run.current()));
    items = forEachItemsOf(renderTemplate(step.forEach?.items ?? '', resolve, field), field);
  } catch (error) {
    if (!isAppError(error, 'invalid_argument')) throw error;
    failure = { kind: 'invalid', message: error.message, stepName: step.name };
  }
  const time = now();
  const recorded = await run.update((record) => {
    const s = stepIn(record, step.name);
    if (s.items || isFinalStep(s.state)) return undefined;
    s.startTime ??= time;
    if (failure) {
      s.state = 'failed';
      s.failure = failure;
      s.endTime = time;
      return { record };
    }
    s.items = items;
    s.iterations = items.map((_, index) => ({
      name: iterationName(step.name, index),
      state: 'pending',
      attempts: [],
      index,
    }));
    s.state = items.length === 0 ? 'succeeded' : 'running';
    if (items.length === 0) {
      s.outputs = {};
      s.endTime = time;
    }
    return { record };
  });
  return !isFinalStep(stepIn(recorded, step.name).state);
}

/** Runs the iterations not final yet, keeping to the step's parallelism, until all are final or it stops. */
async function iterate(run: RunContext, step: Step): Promise<void> {
  const limit = step.forEach?.parallelism || run.spec.maxParallelSteps || Number.POSITIVE_INFINITY;
  const stop = new AbortController();
  const iterationRun: RunContext = { ...run, runSignal: AbortSignal.any([run.runSignal, stop.signal]) };
  const inFlight = new Map<number, Promise<void>>();
  for (;;) {
    const iterations = stepIn(run.current(), step.name).iterations ?? [];
    const failed = iterations.find((s) => s.state === 'failed');
    if (failed && !stop.signal.aborted)
      stop.abort(new AppError('cancelled', `stopped because iteration ${failed.name} failed`));
    if (!iterationRun.runSignal.aborted) {
      for (const [index, iteration] of iterations.entries()) {
        if (inFlight.size >= limit) break;
        if (inFlight.has(index) || isFinalStep(iteration.state)) continue;
        const attempts = runStepAttempts(iterationRun, { ...step, name: iteration.name }).finally(() =>
          inFlight.delete(index),
        );
        inFlight.set(index, attempts);
      }
    }
    if (inFlight.size === 0) return;
    const broken = await Promise.race([...inFlight.values()]).then(
      () => undefined,
      (error: unknown) => error ?? new Error('iteration failed without a reason'),
    );
    if (broken !== undefined) {
      run.log.warn('could not record an iteration transition; trying it again shortly', { error: broken });
      await delay(1000, run.stopSignal).catch(() => {});
    }
  }
}

/**
 * The parent's end once its iterations ended: FAILED with the first failed iteration's failure
 * (the others not final are CANCELLED), or SUCCEEDED with the gathered outputs. False when
 * iterations are left unfinished (the run was cancelled or failed elsewhere: it ends the step).
 */
function endFanOut(parent: StepRecord, stepName: string): boolean {
  const iterations = parent.iterations ?? [];
  const failed = iterations.find((s) => s.state === 'failed');
  const time = now();
  if (failed) {
    for (const iteration of iterations) endIteration(iteration, time);
    const cause = failed.failure;
    parent.state = 'failed';
    parent.failure = {
      kind: cause?.kind ?? 'step_failed',
      message: `iteration ${failed.name} failed: ${cause?.message ?? 'no reason recorded'}`,
      stepName,
      ...(cause?.exitCode === undefined ? {} : { exitCode: cause.exitCode }),
    };
  } else if (iterations.every((s) => s.state === 'succeeded')) {
    parent.state = 'succeeded';
    parent.outputs = gatheredOutputs(iterations);
  } else {
    return false;
  }
  parent.endTime = time;
  return true;
}

/** An iteration left unfinished when its step ended: CANCELLED. */
export function endIteration(iteration: StepRecord, endTime: string): void {
  if (isFinalStep(iteration.state)) return;
  iteration.state = 'cancelled';
  iteration.endTime = endTime;
  delete iteration.nextAttemptTime;
}

/** Per output key any iteration set, the list of the iterations' values by index (null where unset). */
function gatheredOutputs(iterations: readonly StepRecord[]): JsonObject {
  const keys = new Set(iterations.flatMap((s) => Object.keys(s.outputs ?? {})));
  const outputs: JsonObject = {};
  for (const key of keys) outputs[key] = iterations.map((s) => s.outputs?.[key] ?? null);
  return outputs;
}
