import { AppError } from '@flywheel/core';
import type { PipelineSpec, Resources, Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { JobExecutor, JobResources } from './job-executor.ts';

/** The executor built-in steps count as: they run inside the orchestrator, on its machine. */
export const localExecutorName = 'local';

/**
 * The orchestrator's executors by name, one of them the default for steps that name none
 * (`CommandStep.executor` empty). It answers which executor runs a step, and refuses at submit a
 * step no executor can run as asked.
 */
export interface ExecutorSet {
  /** The executor of steps that name none. */
  readonly defaultName: string;
  /** Every configured name, sorted. */
  readonly names: readonly string[];
  /** The executor called `name`; undefined when none is. */
  get(name: string): JobExecutor | undefined;
  /** The name of the executor that runs `step`: its command's `executor`, else the default (built-ins: `local`). */
  nameOf(step: Step): string;
  /**
   * Checks each step of `spec` against the executor that would run it: the options that executor
   * implements (`checkStep`) and resources within its capacity (the executor names themselves are
   * checked by `validatePipelineSpec` given {@link names}; a step naming none here is passed over). Built-in
   * steps run in the orchestrator: their resources are checked against the local executor's
   * capacity when there is one. Throws `invalid_argument` naming the field under `field`.
   */
  checkSpec(spec: PipelineSpec, field: string): void;
}

export interface ExecutorSetOptions {
  readonly executors: readonly JobExecutor[];
  /** Default: `local`, or the only executor when there is one. */
  readonly defaultName?: string;
}

/** The set of `executors`; throws when names repeat or the default is not among them. */
export function createExecutorSet(options: ExecutorSetOptions): ExecutorSet {
  const byName = new Map<string, JobExecutor>();
  for (const executor of options.executors) {
    if (byName.has(executor.name)) throw new Error(`two executors are named "${executor.name}"`);
    byName.set(executor.name, executor);
  }
  const names = [...byName.keys()].sort();
  const defaultName =
    options.defaultName ||
    (byName.has(localExecutorName) || names.length !== 1 ? localExecutorName : (names[0] ?? ''));
  if (!byName.has(defaultName)) {
    throw new Error(
      `the default executor "${defaultName}" is not configured (have: ${names.join(', ') || 'none'})`,
    );
  }

  const nameOf = (step: Step): string =>
    step.kind.case === 'command' ? step.kind.value.executor || defaultName : localExecutorName;

  return {
    defaultName,
    names,
    get: (name) => byName.get(name),
    nameOf,
    checkSpec: (spec, field) => {
      for (const [i, step] of spec.steps.entries()) {
        const at = `${field}.steps[${i}]`;
        if (step.kind.case === 'command') {
          const executor = byName.get(nameOf(step));
          if (!executor) continue;
          if (step.kind.value.python && !executor.buildsPythonEnvironments) {
            throw AppError.invalidArgument(
              `${at}.command.python`,
              `the ${executor.name} executor builds no Python environments (${pythonEnvironmentHint(executor.name)})`,
            );
          }
          executor.checkStep?.(step.kind.value, `${at}.command`);
          checkResources(step.resources, executor, at);
        } else {
          const local = byName.get(localExecutorName);
          if (local) checkResources(step.resources, local, at);
        }
      }
    },
  };
}

/** Where an executor's users get their packages instead of `command.python`. */
function pythonEnvironmentHint(name: string): string {
  if (name === 'ray') return "give Ray the packages with command.ray.pip or command.ray.runtime_env's pip";
  if (name === 'kubernetes') return 'put the packages in the image (command.image)';
  return 'run the step on the local executor, or install the packages where this executor runs it';
}

/** A step's requested resources, zeros for those it leaves unset. */
export function requestedResources(resources: Resources | undefined): JobResources {
  return { cpu: resources?.cpu ?? 0, memoryMib: resources?.memoryMib ?? 0, gpu: resources?.gpu ?? 0 };
}

function checkResources(resources: Resources | undefined, executor: JobExecutor, at: string): void {
  const capacity = executor.capacity?.();
  if (!capacity) return;
  const asked = requestedResources(resources);
  const who = `the ${executor.name} executor`;
  if (asked.gpu > capacity.gpu) {
    throw AppError.invalidArgument(
      `${at}.resources.gpu`,
      `${asked.gpu} GPU${asked.gpu === 1 ? '' : 's'} requested, ${who} has ${capacity.gpu}`,
    );
  }
  if (asked.cpu > capacity.cpu) {
    throw AppError.invalidArgument(
      `${at}.resources.cpu`,
      `${asked.cpu} cores requested, ${who} has ${capacity.cpu}`,
    );
  }
  if (asked.memoryMib > capacity.memoryMib) {
    throw AppError.invalidArgument(
      `${at}.resources.memory_mib`,
      `${asked.memoryMib} MiB requested, ${who} has ${capacity.memoryMib} MiB`,
    );
  }
}
