import type { Logger } from '@flywheel/core';
import type { RunTrigger } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';

/** What a built-in step gets for one attempt. */
export interface StepContext {
  readonly runId: string;
  readonly pipelineName: string;
  readonly stepName: string;
  /** Why the run exists; a trigger rule's names the event it matched, with the event's time. */
  readonly trigger: RunTrigger;
  /** Attempt number, from 1. */
  readonly attempt: number;
  /**
   * The step's parameters with templates resolved: ${params.x}, ${steps.<name>.outputs.<key>},
   * ${run.id}, ${run.pipeline_name}. Event fields (${event.<field>}) reach a step through the run
   * parameters the scheduler's trigger rule resolved.
   */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Outputs of every finished step, by step name. */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Aborts on the step timeout, a run cancel, or the service stopping. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** A scratch directory for this attempt, removed after it ends. */
  readonly workDir: string;
}

/** A built-in step: resolves to its outputs (JSON-serialisable) or throws (AppError.retriable decides retry). */
export type BuiltinStep = (ctx: StepContext) => Promise<Record<string, unknown>>;

/** Built-in steps by the name a PipelineSpec's `builtin.name` refers to. */
export type BuiltinSteps = Readonly<Record<string, BuiltinStep>>;
