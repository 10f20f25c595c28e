import type { JsonObject } from '@bufbuild/protobuf';
import type {
  CommandStep,
  KubernetesJobOptions,
  PythonEnvironment,
  RayJobOptions,
} from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { FailureKindName } from '../runs/run-records.ts';
import type { JobLogSink } from './job-logs.ts';
import type { MeasuredUsage } from './process-usage.ts';

/** One attempt of a command step, as an executor receives it: templates already resolved. */
export interface CommandJob {
  readonly jobId: string;
  readonly runId: string;
  readonly pipelineName: string;
  readonly stepName: string;
  readonly attempt: number;
  /** Program and arguments; not run through a shell. */
  readonly argv: readonly string[];
  /** Extra environment variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory; empty means the job's own directory. */
  readonly workingDir: string;
  /** Container image, for executors that run containers (the local executor refuses steps that set one). */
  readonly image: string;
  /** What the step requests (`Step.resources`; 0 = the executor's default, none for gpu). */
  readonly resources: JobResources;
  /** `CommandStep.ray`: how the Ray executor submits the job (other executors refuse it). */
  readonly ray?: RayJobOptions;
  /** `CommandStep.kubernetes`: how the Kubernetes executor makes the Job (other executors refuse it). */
  readonly kubernetes?: KubernetesJobOptions;
  /** `CommandStep.python`: the environment the command runs in (executors that build none refuse it at submit). */
  readonly python?: PythonEnvironment;
  /** What the job finds in `$FLYWHEEL_PARAMETERS_FILE`: its resolved parameters plus `inputs`. */
  readonly parametersFile: JsonObject;
  /** A directory of this attempt's own, kept after it ends (its files may be outputs). */
  readonly jobDir: string;
  /** Aborts on timeout, cancel or service stop: the executor terminates the job, then rejects with the signal's reason. */
  readonly signal: AbortSignal;
  readonly logs: JobLogSink;
  /**
   * Called once the job runs, with the executor's handle (a pid, a Kubernetes Job name) and, when
   * the executor can {@link JobExecutor.reattach} to it after a crash of the orchestrator, what it
   * needs for that (recorded with the attempt before the job's work matters).
   */
  started(executorRef: string, reattachHandle?: string): Promise<void>;
  /** Told what the job used once it ended, by executors that measure it (before `run` settles). */
  reportUsage?(usage: MeasuredUsage): void;
}

/** CPU cores, memory and GPUs: what a job requests, or the most an executor can give one job. */
export interface JobResources {
  readonly cpu: number;
  readonly memoryMib: number;
  readonly gpu: number;
}

/**
 * Runs command steps somewhere: local processes, Ray jobs, Kubernetes Jobs. `run` resolves to
 * the job's outputs, or rejects with a {@link JobFailure} (or the abort reason when `signal` aborted).
 */
export interface JobExecutor {
  /** `local`, `kubernetes`: recorded as the job's executor. */
  readonly name: string;
  /**
   * The most one job can ever get here (the machine; the largest node), so that a request beyond
   * it is refused when the run is submitted instead of waiting forever. Undefined, or a method left
   * out: unknown — every request is accepted and the executor's own admission decides.
   */
  capacity?(): JobResources | undefined;
  /**
   * Refuses, when the run is submitted, what this executor does not implement in a command step
   * it would run (the local executor: an `image`): throws `invalid_argument` naming the field
   * under `at` (`spec.steps[2].command`).
   */
  checkStep?(command: CommandStep, at: string): void;
  /**
   * Whether it builds `CommandStep.python` environments; when not (or left out), a step setting
   * one is refused at submit ({@link ExecutorSet.checkSpec}).
   */
  readonly buildsPythonEnvironments?: boolean;
  run(job: CommandJob): Promise<JsonObject>;
  /**
   * Picks up a job an earlier orchestrator process started and did not see end (it was killed):
   * waits for it if it still runs, then reads its result, as `run` would have. Rejects with a
   * {@link JobFailure} of kind `executor` when the job's result is lost. `job.signal` stops it.
   * Executors whose jobs cannot outlive the orchestrator leave it out.
   */
  reattach?(job: CommandJob, handle: string): Promise<JsonObject>;
}

/** Why a job did not succeed, in the terms of `flywheel.common.v1.Failure`. */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
  readonly kind: FailureKindName;
  readonly exitCode: number | undefined;
  /** Whether another attempt may help (executor hiccups and failed commands: yes). */
  readonly retriable: boolean;

  constructor(
    kind: FailureKindName,
    message: string,
    options: { exitCode?: number; retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.exitCode = options.exitCode;
    this.retriable = options.retriable ?? true;
  }
}
