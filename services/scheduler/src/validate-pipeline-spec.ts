import { durationMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { PipelineSpec, Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { referencesIn, stringsIn } from './templates.ts';

/**
 * Checks what the `.proto` field rules cannot: step names unique, every `depends_on` names a step
 * of this pipeline, the dependencies form a DAG, every step says what it runs, parameter names
 * unique, durations not negative, and every template reference resolvable at run time —
 * `${params.<declared>}`, `${steps.<upstream step>.outputs.<key>}`, `${run.id}`,
 * `${run.pipeline_name}`. Throws `invalid_argument` naming the field under `field` (e.g.
 * `pipeline.spec.steps[2].depends_on[0]`).
 */
export function validatePipelineSpec(spec: PipelineSpec, field: string): void {
  const indexByName = new Map<string, number>();
  for (const [i, step] of spec.steps.entries()) {
    const earlier = indexByName.get(step.name);
    if (earlier !== undefined) {
      throw AppError.invalidArgument(
        `${field}.steps[${i}].name`,
        `duplicate step name "${step.name}" (also steps[${earlier}])`,
      );
    }
    indexByName.set(step.name, i);
    if (step.kind.case === undefined) {
      throw AppError.invalidArgument(`${field}.steps[${i}]`, 'must say what it runs: builtin or command');
    }
  }
  for (const [i, step] of spec.steps.entries()) {
    for (const [k, dependency] of step.dependsOn.entries()) {
      if (!indexByName.has(dependency)) {
        throw AppError.invalidArgument(
          `${field}.steps[${i}].depends_on[${k}]`,
          `unknown step "${dependency}"`,
        );
      }
    }
  }
  rejectCycles(spec.steps, indexByName, field);

  const parameterNames = new Map<string, number>();
  for (const [i, parameter] of spec.parameters.entries()) {
    const earlier = parameterNames.get(parameter.name);
    if (earlier !== undefined) {
      throw AppError.invalidArgument(
        `${field}.parameters[${i}].name`,
        `duplicate parameter "${parameter.name}" (also parameters[${earlier}])`,
      );
    }
    parameterNames.set(parameter.name, i);
  }

  if (spec.timeout && durationMs(spec.timeout) < 0)
    throw AppError.invalidArgument(`${field}.timeout`, 'must not be negative');
  for (const [i, step] of spec.steps.entries()) {
    if (step.timeout && durationMs(step.timeout) < 0) {
      throw AppError.invalidArgument(`${field}.steps[${i}].timeout`, 'must not be negative');
    }
    const upstream = upstreamOf(step.name, spec.steps, indexByName);
    for (const { field: at, text } of stepTemplates(step, `${field}.steps[${i}]`)) {
      for (const reference of referencesIn(text)) checkReference(reference, at, parameterNames, upstream);
    }
  }
  const allSteps = new Set(indexByName.keys());
  for (const [name, template] of Object.entries(spec.outputs)) {
    for (const reference of referencesIn(template)) {
      checkReference(reference, `${field}.outputs[${name}]`, parameterNames, allSteps);
    }
  }
}

function checkReference(
  reference: string,
  field: string,
  parameters: ReadonlyMap<string, number>,
  steps: ReadonlySet<string>,
): void {
  const parts = reference.split('.');
  const [root, name] = parts;
  if (root === 'params' && parts.length === 2 && name) {
    if (parameters.has(name)) return;
    throw AppError.invalidArgument(field, `\${${reference}}: the pipeline declares no parameter "${name}"`);
  }
  if (root === 'steps' && parts.length >= 4 && parts[2] === 'outputs' && name) {
    if (steps.has(name)) return;
    throw AppError.invalidArgument(field, `\${${reference}}: "${name}" is not a step this one depends on`);
  }
  if (root === 'run' && parts.length === 2 && (name === 'id' || name === 'pipeline_name')) return;
  throw AppError.invalidArgument(
    field,
    `\${${reference}} is not a reference a pipeline can use (\${params.<name>}, \${steps.<step>.outputs.<key>}, \${run.id}, \${run.pipeline_name})`,
  );
}

/** The strings of a step that may hold templates, with their field paths. */
function stepTemplates(step: Step, field: string): { field: string; text: string }[] {
  const found = stringsIn(step.parameters, `${field}.parameters`);
  if (step.condition) found.push({ field: `${field}.condition`, text: step.condition });
  if (step.kind.case === 'command') {
    const command = step.kind.value;
    for (const [i, arg] of command.command.entries())
      found.push({ field: `${field}.command.command[${i}]`, text: arg });
    for (const [name, value] of Object.entries(command.env))
      found.push({ field: `${field}.command.env[${name}]`, text: value });
  }
  return found;
}

/** Every step `name` depends on, directly or not (the DAG is already checked). */
function upstreamOf(
  name: string,
  steps: readonly Step[],
  indexByName: ReadonlyMap<string, number>,
): Set<string> {
  const seen = new Set<string>();
  const stack = [...(steps[indexByName.get(name) ?? -1]?.dependsOn ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(steps[indexByName.get(next) ?? -1]?.dependsOn ?? []));
  }
  return seen;
}

/** Depth-first search; the first back edge found is reported with the cycle it closes. */
function rejectCycles(steps: readonly Step[], indexByName: ReadonlyMap<string, number>, field: string): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    path.push(name);
    const index = indexByName.get(name)!;
    for (const dependency of steps[index]!.dependsOn) {
      const seen = state.get(dependency);
      if (seen === 'visiting') {
        const cycle = [...path.slice(path.indexOf(dependency)), dependency];
        throw AppError.invalidArgument(
          `${field}.steps[${index}].depends_on`,
          `dependencies form a cycle: ${cycle.join(' → ')}`,
        );
      }
      if (seen === undefined) visit(dependency);
    }
    path.pop();
    state.set(name, 'done');
  };
  for (const step of steps) if (!state.has(step.name)) visit(step.name);
}
