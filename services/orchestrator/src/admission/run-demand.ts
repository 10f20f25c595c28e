import { AppError } from '@flywheel/core';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { dimensionNames, dimensions, type Limits, type Quantities, zero } from './quantities.ts';
import type { AdmissionConfig } from './queue-config.ts';

/**
 * What a run reserves while admitted: the sum of its steps' `resources` (steps may run in
 * parallel), or their largest when `max_parallel_steps` is 1; jobs = how many steps may run at once.
 * Unset resources count 0 (the job count still bounds such runs).
 */
export function runDemand(spec: PipelineSpec): Quantities {
  const demand = zero();
  const sequential = spec.maxParallelSteps === 1;
  for (const step of spec.steps) {
    const r = step.resources;
    const cpu = r?.cpu ?? 0;
    const memoryMib = r?.memoryMib ?? 0;
    const gpu = r?.gpu ?? 0;
    if (sequential) {
      demand.cpu = Math.max(demand.cpu, cpu);
      demand.memoryMib = Math.max(demand.memoryMib, memoryMib);
      demand.gpu = Math.max(demand.gpu, gpu);
    } else {
      demand.cpu += cpu;
      demand.memoryMib += memoryMib;
      demand.gpu += gpu;
    }
  }
  const width =
    spec.maxParallelSteps > 0 ? Math.min(spec.maxParallelSteps, spec.steps.length) : spec.steps.length;
  demand.jobs = Math.max(1, width);
  return demand;
}

/** Where a new run waits and what it reserves. */
export interface QueuedAdmission {
  queue: string;
  priority: number;
  demand: Quantities;
}

/** The quota of `team` (absent dimensions unlimited). */
export function quotaOf(config: AdmissionConfig, team: string): Limits {
  return config.teams[team] ?? config.defaultTeamQuota ?? {};
}

/**
 * The admission of a new run of `team` in `queue` (empty = the default queue). Throws
 * `invalid_argument` naming `queue` for an unknown queue, or naming `specField` when the run needs
 * more than its team's quota or the shared capacity could ever give (it would wait forever).
 */
export function admissionFor(
  config: AdmissionConfig,
  queue: string,
  team: string,
  spec: PipelineSpec,
  specField: string,
): QueuedAdmission {
  const name = queue || config.defaultQueue;
  const settings = config.queues.find((q) => q.name === name);
  if (!settings)
    throw AppError.invalidArgument(
      'queue',
      `unknown queue "${name}" (queues: ${config.queues.map((q) => q.name).join(', ')})`,
    );
  const demand = runDemand(spec);
  const bounds: [string, Limits][] = [
    [`team "${team}"'s quota`, quotaOf(config, team)],
    ['the capacity shared by all teams', config.capacity],
  ];
  for (const [what, limits] of bounds)
    for (const d of dimensions) {
      const limit = limits[d];
      if (limit === undefined || demand[d] <= limit + 1e-9) continue;
      const source =
        d === 'jobs' ? 'steps that may run at once' : `the sum of its steps' resources.${dimensionNames[d]}`;
      throw AppError.invalidArgument(
        `${specField}.steps`,
        `the run needs ${dimensionNames[d]} ${demand[d]} (${source}), more than ${what} of ${limit}: it could never be admitted`,
      );
    }
  return { queue: name, priority: settings.priority, demand };
}
