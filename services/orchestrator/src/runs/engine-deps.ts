import type { Logger } from '@flywheel/core';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { BuiltinSteps } from '../builtin-steps/step-types.ts';
import type { ExecutorSet } from '../executors/executor-set.ts';
import type { JobLogs } from '../executors/job-logs.ts';
import type { JobSlots } from '../executors/job-slots.ts';
import type { RunInstance } from './run-lease.ts';
import type { RunMetrics } from './run-metrics.ts';
import type { RunRecord } from './run-records.ts';
import type { RunChange, RunStore } from './run-store.ts';

/** What the run engine stands on. */
export interface EngineDeps {
  readonly runs: RunStore;
  readonly logs: JobLogs;
  /** Run command steps, each by the executor it names (or the default). */
  readonly executors: ExecutorSet;
  /** Built-in steps by name. */
  readonly builtins: BuiltinSteps;
  /** Bounds the jobs running at once across runs. */
  readonly slots: JobSlots;
  /** Root of the job directories (`<workDir>/<run>/<step>/<attempt>`). */
  readonly workDir: string;
  readonly log: Logger;
  /** This process as the owner of the runs it executes. */
  readonly instance: RunInstance;
  /** How long an owner's claim on a run lasts without renewal, ms (renewed every third of it). */
  readonly leaseMs: number;
  /** For retry jitter (tests may fix it). Default Math.random. */
  readonly random?: () => number;
  /** Told of each run this process ends. Default: nothing is counted. */
  readonly metrics?: RunMetrics;
}

/** What a step's attempts need from the run they belong to. */
export interface RunContext {
  readonly deps: EngineDeps;
  readonly runId: string;
  readonly spec: PipelineSpec;
  /** The run as last written. */
  current(): RunRecord;
  /** Applies a change to the run (serialized per run, compare-and-set in the store); resolves to the new record. */
  update(mutation: (record: RunRecord) => RunChange | undefined): Promise<RunRecord>;
  /** Aborts when the run is cancelled, times out, fails, or the service stops. */
  readonly runSignal: AbortSignal;
  /** Aborts only when the service stops: work cut short by it is left for the next start to resume. */
  readonly stopSignal: AbortSignal;
  readonly log: Logger;
}
