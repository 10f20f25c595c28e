import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import type { Quantities } from '../admission/quantities.ts';

/** Collection of run documents, one per run, keyed by run id. */
export const runsCollection = 'runs';

/** Fields of {@link RunRecord} that `find` filters and sorts on. */
export const runIndexes = [
  'pipelineName',
  'state',
  'team',
  'createTime',
  'active',
  'experiment',
  'tags',
] as const;

export type RunStateName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelling' | 'cancelled';
export type StepStateName =
  | 'pending'
  | 'queued'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';
export type JobStateName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type FailureKindName = 'step_failed' | 'timed_out' | 'cancelled' | 'invalid' | 'executor';

/** Why a run, a step or a job failed. */
export interface FailureRecord {
  kind: FailureKindName;
  message: string;
  /** The step that failed; empty for run-level failures. */
  stepName: string;
  /** Process exit code, for a command that exited non-zero. */
  exitCode?: number;
}

/** One attempt of one step. Times are RFC 3339 strings. */
export interface JobRecord {
  /** `<run id>/<step>/<attempt>`: unique across runs. */
  id: string;
  attempt: number;
  state: JobStateName;
  /** `local` (process or in-process built-in). */
  executor: string;
  /** A process id, or `builtin:<name>`. */
  executorRef: string;
  exitCode?: number;
  failure?: FailureRecord;
  /** What the executor needs to pick the job up after an orchestrator crash (local: `<pid>:<start time>`). */
  executorHandle?: string;
  /**
   * True when the attempt was cut short by the orchestrator: by a clean stop (it does not count
   * against the retry budget) or, with `crashed`, by the orchestrator dying (it counts, so a step
   * that kills the orchestrator cannot loop).
   */
  interrupted?: boolean;
  crashed?: boolean;
  /** What the attempt used, once it ended (executors that measure it). */
  usage?: JobUsageRecord;
  createTime: string;
  startTime?: string;
  endTime?: string;
}

/** Resources one attempt used. */
export interface JobUsageRecord {
  /** User + system CPU time of the command and the processes it waited for. */
  cpuSeconds: number;
  /** Peak resident memory, bytes. */
  peakMemoryBytes: number;
  wallSeconds: number;
}

/** A run's wait in its queue (absent on runs stored before queues existed: admitted). */
export interface AdmissionRecord {
  state: 'waiting' | 'admitted';
  /** The queue's priority when the run was queued (the configured one wins while it exists). */
  priority: number;
  /** What the run reserves while admitted. */
  demand: Quantities;
  queuedSince: string;
  admitTime?: string;
  /** 1-based place among waiting runs at the last admission pass; 0 once admitted. */
  position: number;
  /** Why it waits, as of the last admission pass. */
  reason: string;
}

/** The state of one step of a run. */
export interface StepRecord {
  name: string;
  state: StepStateName;
  attempts: JobRecord[];
  outputs?: JsonObject;
  /** A command step's own code version (executors/code-version.ts), set when it succeeds. */
  codeVersion?: string;
  failure?: FailureRecord;
  startTime?: string;
  endTime?: string;
  /** While `retrying`: when the next attempt starts (RFC 3339), so a restart keeps the backoff. */
  nextAttemptTime?: string;
  /** True when the outputs were carried over from the run this one retries. */
  reused?: boolean;
  /** A `for_each` step: its items, recorded when resolved (so a restart iterates the same list). */
  items?: JsonValue[];
  /** A `for_each` step: one record per item, named `<step>[<index>]`, created with the items. */
  iterations?: StepRecord[];
  /** An iteration: its index in the parent's items. */
  index?: number;
}

/**
 * The replica executing a run: only it runs the steps, and it renews `leaseUntil` while it does;
 * once the lease ended (or the replica restarted) another one takes the run over.
 */
export interface RunOwner {
  /** `FLYWHEEL_INSTANCE_ID` of the replica. */
  instanceId: string;
  /** Which start of that replica (a restart is a new incarnation). */
  incarnation: string;
  /** Epoch ms: the lease ends then unless renewed. */
  leaseUntil: number;
}

/** A run as stored: the spec and everything that happened to it. */
export interface RunRecord {
  id: string;
  pipelineName: string;
  pipelineRevision: number;
  /** The PipelineSpec snapshot, in protobuf JSON. */
  spec: JsonValue;
  /** Resolved run parameters, defaults applied. */
  parameters: JsonObject;
  team: string;
  state: RunStateName;
  /** True until the run is final: the engine resumes active runs on start. */
  active: boolean;
  steps: StepRecord[];
  outputs?: JsonObject;
  failure?: FailureRecord;
  /** RunTrigger, in protobuf JSON. */
  trigger: JsonValue;
  /** Principal, in protobuf JSON. */
  principal: JsonValue;
  runRequestId: string;
  requestId: string;
  labels: Record<string, string>;
  /** The experiment grouping it; absent on runs stored before experiments existed (read as the pipeline's name). */
  experiment?: string;
  /** Sorted, unique; absent on runs stored before tags existed. */
  tags?: string[];
  /** W3C traceparent of the request that created the run; the run's work continues that trace. */
  traceparent?: string;
  traceId: string;
  /** Set by CancelRun. */
  cancelReason?: string;
  /** The queue it waits in before admission. */
  queue?: string;
  admission?: AdmissionRecord;
  /** Who executes the run; absent for a run nobody has claimed (or that its owner let go on a clean stop). */
  owner?: RunOwner;
  createTime: string;
  startTime?: string;
  endTime?: string;
}

const finalRunStates: ReadonlySet<RunStateName> = new Set(['succeeded', 'failed', 'cancelled']);
const finalStepStates: ReadonlySet<StepStateName> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** True once a run can change no more. */
export function isFinalRun(state: RunStateName): boolean {
  return finalRunStates.has(state);
}

/** The run's steps, each followed by its iterations (for a `for_each` step). */
export function stepsAndIterations(record: Pick<RunRecord, 'steps'>): StepRecord[] {
  return record.steps.flatMap((step) => [step, ...(step.iterations ?? [])]);
}

/** The name of a `for_each` step's iteration. */
export function iterationName(stepName: string, index: number): string {
  return `${stepName}[${index}]`;
}

/** True once a step can change no more within its run. */
export function isFinalStep(state: StepStateName): boolean {
  return finalStepStates.has(state);
}
