import { type JsonObject, toJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { PipelineSpec, Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import type { BuiltinSteps } from './step-types.ts';
import { referencedStep, referenceProblem, referencesIn, referencesInValue } from './templates.ts';

const stepNamePattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Parameter key a command step's parameters file reserves for the outputs of its upstream steps. */
export const inputsKey = 'inputs';

/**
 * Checks what the `.proto` rules cannot: unique step names, known dependencies forming a DAG, a
 * kind per step, known built-ins, well-formed templates that only reference upstream steps.
 * Throws `invalid_argument` naming the field under `field` (e.g. `inline_pipeline.spec`).
 */
export function validatePipelineSpec(spec: PipelineSpec, field: string, builtins: BuiltinSteps): void {
  if (spec.steps.length === 0)
    throw AppError.invalidArgument(`${field}.steps`, 'a pipeline needs at least one step');
  const index = new Map<string, number>();
  spec.steps.forEach((step, i) => {
    const at = `${field}.steps[${i}]`;
    if (!stepNamePattern.test(step.name) || step.name.length > 63) {
      throw AppError.invalidArgument(
        `${at}.name`,
        `"${step.name}" must be lowercase letters, digits and '-' (at most 63)`,
      );
    }
    if (index.has(step.name))
      throw AppError.invalidArgument(`${at}.name`, `duplicate step name "${step.name}"`);
    index.set(step.name, i);
  });
  for (const [i, step] of spec.steps.entries()) validateStep(step, `${field}.steps[${i}]`, index, builtins);
  const order = topologicalOrder(spec.steps);
  if (!order) {
    const cyclic = spec.steps.filter((s) => !stepsReachable(spec.steps).has(s.name)).map((s) => s.name);
    throw AppError.invalidArgument(`${field}.steps`, `depends_on forms a cycle among ${cyclic.join(', ')}`);
  }
  const ancestors = ancestorsOf(spec.steps);
  spec.steps.forEach((step, i) => {
    const at = `${field}.steps[${i}]`;
    const upstream = ancestors.get(step.name) ?? new Set<string>();
    checkReferences(referencesInValue(step.parameters), `${at}.parameters`, upstream);
    checkReferences(referencesIn(step.condition), `${at}.condition`, upstream);
    if (step.kind.case === 'command') {
      for (const [j, arg] of step.kind.value.command.entries()) {
        checkReferences(referencesIn(arg), `${at}.command.command[${j}]`, upstream);
      }
      for (const [name, value] of Object.entries(step.kind.value.env)) {
        checkReferences(referencesIn(value), `${at}.command.env["${name}"]`, upstream);
      }
    }
  });
  const all = new Set(index.keys());
  for (const [name, template] of Object.entries(spec.outputs)) {
    checkReferences(referencesIn(template), `${field}.outputs["${name}"]`, all);
  }
  const seen = new Set<string>();
  spec.parameters.forEach((parameter, i) => {
    if (seen.has(parameter.name)) {
      throw AppError.invalidArgument(
        `${field}.parameters[${i}].name`,
        `duplicate parameter "${parameter.name}"`,
      );
    }
    seen.add(parameter.name);
  });
}

function validateStep(step: Step, at: string, index: Map<string, number>, builtins: BuiltinSteps): void {
  switch (step.kind.case) {
    case 'builtin': {
      const name = step.kind.value.name;
      if (!Object.hasOwn(builtins, name)) {
        const known = Object.keys(builtins).sort().join(', ') || 'none';
        throw AppError.invalidArgument(
          `${at}.builtin.name`,
          `unknown built-in step "${name}" (known: ${known})`,
        );
      }
      break;
    }
    case 'command': {
      const argv = step.kind.value.command;
      if (argv.length === 0 || argv[0] === '') {
        throw AppError.invalidArgument(`${at}.command.command`, 'must name a program');
      }
      if (step.parameters && Object.hasOwn(step.parameters, inputsKey)) {
        throw AppError.invalidArgument(
          `${at}.parameters.${inputsKey}`,
          'is reserved: a command step finds its upstream outputs there',
        );
      }
      break;
    }
    default:
      throw AppError.invalidArgument(`${at}.kind`, 'set builtin or command');
  }
  step.dependsOn.forEach((dependency, j) => {
    if (dependency === step.name)
      throw AppError.invalidArgument(`${at}.depends_on[${j}]`, 'a step cannot depend on itself');
    if (!index.has(dependency))
      throw AppError.invalidArgument(`${at}.depends_on[${j}]`, `unknown step "${dependency}"`);
  });
}

function checkReferences(references: string[], field: string, allowedSteps: ReadonlySet<string>): void {
  for (const reference of references) {
    const problem = referenceProblem(reference);
    if (problem) throw AppError.invalidArgument(field, `\${${reference}}: ${problem}`);
    const step = referencedStep(reference);
    if (step !== undefined && !allowedSteps.has(step)) {
      throw AppError.invalidArgument(
        field,
        `\${${reference}}: step "${step}" is not upstream (add it to depends_on)`,
      );
    }
  }
}

/** Step names in an order where every step comes after its dependencies, or undefined for a cycle. */
export function topologicalOrder(steps: readonly Step[]): string[] | undefined {
  const reachable = stepsReachable(steps);
  return reachable.size === steps.length ? [...reachable] : undefined;
}

/** Kahn's algorithm: the steps that can be ordered, in order (all of them unless there is a cycle). */
function stepsReachable(steps: readonly Step[]): Set<string> {
  const done = new Set<string>();
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const step of steps) {
      if (!done.has(step.name) && step.dependsOn.every((d) => done.has(d))) {
        done.add(step.name);
        progressed = true;
      }
    }
  }
  return done;
}

/** Every step's transitive dependencies. Assumes a DAG. */
export function ancestorsOf(steps: readonly Step[]): Map<string, Set<string>> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const memo = new Map<string, Set<string>>();
  const visit = (name: string): Set<string> => {
    const known = memo.get(name);
    if (known) return known;
    const result = new Set<string>();
    memo.set(name, result);
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      result.add(dependency);
      for (const further of visit(dependency)) result.add(further);
    }
    return result;
  };
  for (const step of steps) visit(step.name);
  return memo;
}

/**
 * The run's parameters: the given ones, checked against the declared ones (unknown ones are
 * rejected), with defaults applied; a required parameter without value or default is rejected.
 * Throws `invalid_argument` naming `field.<name>`.
 */
export function resolveRunParameters(
  spec: PipelineSpec,
  given: JsonObject | undefined,
  field: string,
): JsonObject {
  const declared = new Map(spec.parameters.map((p) => [p.name, p]));
  const result: JsonObject = {};
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!declared.has(name)) {
      const known = [...declared.keys()].join(', ') || 'none';
      throw AppError.invalidArgument(`${field}.${name}`, `unknown parameter (declared: ${known})`);
    }
    result[name] = value;
  }
  for (const parameter of spec.parameters) {
    if (Object.hasOwn(result, parameter.name)) continue;
    if (parameter.defaultValue?.kind.case !== undefined)
      result[parameter.name] = toJson(ValueSchema, parameter.defaultValue);
    else if (parameter.required) throw AppError.invalidArgument(`${field}.${parameter.name}`, 'is required');
  }
  return result;
}
