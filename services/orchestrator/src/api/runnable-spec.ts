import { validatePipelineSpec } from '@flywheel/pipelines';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { BuiltinSteps } from '../builtin-steps/step-types.ts';
import type { ExecutorSet } from '../executors/executor-set.ts';

/** What this orchestrator can run: its built-in steps and its executors. */
export interface RunnableSpecDeps {
  readonly builtins: BuiltinSteps;
  readonly executors: ExecutorSet;
}

/**
 * Checks a spec before a run of it is created: a valid pipeline (`validatePipelineSpec`) whose
 * built-ins this orchestrator has and whose steps its executors can run as asked (known executor,
 * implemented options, resources within capacity). Throws `invalid_argument` naming the field
 * under `field`.
 */
export function checkRunnableSpec(spec: PipelineSpec, field: string, deps: RunnableSpecDeps): void {
  validatePipelineSpec(spec, field, { builtins: Object.keys(deps.builtins) });
  deps.executors.checkSpec(spec, field);
}
