import { durationMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { PipelineSpec, Step } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { ancestorsOf } from './dag-order.ts';
import { checkForEachItemsKnownNow, parameterDefaults } from './for-each.ts';
import { pipelineReferenceProblem } from './pipeline-references.ts';
import { referencesIn, stringsIn } from './templates.ts';

/** Parameter key a command step's parameters file reserves for the outputs of its upstream steps. */
export const inputsKey = 'inputs';

const stepNamePattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const maxStepName = 63;

export interface ValidatePipelineSpecOptions {
  /**
   * The built-in step names a `builtin.name` may use. Omitted: not checked — for a service (the
   * scheduler) that does not know which built-ins the orchestrator that runs the spec has.
   */
  readonly builtins?: Iterable<string>;
  /**
   * The executor names a `command.executor` may use (empty always may: the orchestrator's
   * default). Omitted: not checked.
   */
  readonly executors?: Iterable<string>;
}

/**
 * Checks what the `.proto` field rules cannot, or what a spec that skipped them (one carried in an
 * event) needs: at least one step; step names well formed and unique; every step says what it runs
 * (a known built-in, or a command naming a program whose parameters leave `inputs` free); every
 * `depends_on` names another step of this pipeline and together they form a DAG; parameter names
 * unique; durations not negative; every template reference well formed and resolvable at run time —
 * `${params.<declared>…}`, `${steps.<upstream step>.outputs.<key>…}`, `${run.id}`,
 * `${run.pipeline_name}`. Throws `invalid_argument` naming the field under `field` (e.g.
 * `pipeline.spec.steps[2].depends_on[0]`); the first problem found wins.
 */
export function validatePipelineSpec(
  spec: PipelineSpec,
  field: string,
  options: ValidatePipelineSpecOptions = {},
): void {
  if (spec.steps.length === 0)
    throw AppError.invalidArgument(`${field}.steps`, 'a pipeline needs at least one step');
  const builtins = options.builtins === undefined ? undefined : new Set(options.builtins);
  const indexByName = new Map<string, number>();
  for (const [i, step] of spec.steps.entries()) {
    const at = `${field}.steps[${i}]`;
    if (!stepNamePattern.test(step.name) || step.name.length > maxStepName) {
      throw AppError.invalidArgument(
        `${at}.name`,
        `"${step.name}" must be lowercase letters, digits and '-' (at most ${maxStepName})`,
      );
    }
    const earlier = indexByName.get(step.name);
    if (earlier !== undefined) {
      throw AppError.invalidArgument(
        `${at}.name`,
        `duplicate step name "${step.name}" (also steps[${earlier}])`,
      );
    }
    indexByName.set(step.name, i);
  }
  const executors = options.executors === undefined ? undefined : new Set(options.executors);
  for (const [i, step] of spec.steps.entries()) checkKind(step, `${field}.steps[${i}]`, builtins, executors);
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
  // A step depending on itself is the shortest cycle, reported like the others (`loop → loop`).
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
    if (step.forEach && step.forEach.items.trim() === '')
      throw AppError.invalidArgument(
        `${field}.steps[${i}].for_each.items`,
        'must name the list to iterate over',
      );
    if (step.forEach && step.forEach.parallelism < 0)
      throw AppError.invalidArgument(`${field}.steps[${i}].for_each.parallelism`, 'must not be negative');
  }

  const scope = { parameters: parameterNames, stepsInPipeline: new Set(indexByName.keys()) };
  const ancestors = ancestorsOf(spec.steps);
  for (const [i, step] of spec.steps.entries()) {
    const upstream = ancestors.get(step.name) ?? new Set<string>();
    for (const { field: at, text, iterated } of stepTemplates(step, `${field}.steps[${i}]`)) {
      for (const reference of referencesIn(text, at)) {
        checkReference(reference, at, scope, upstream);
        if (reference.startsWith('for_each.') && !iterated) {
          const why = !step.forEach
            ? `only a step with for_each has an item (set steps[${i}].for_each)`
            : at.endsWith('.condition')
              ? 'the condition is evaluated once for the step, not per iteration'
              : 'the items cannot refer to an iteration';
          throw AppError.invalidArgument(at, `\${${reference}}: ${why}`);
        }
      }
    }
  }
  checkForEachItemsKnownNow(spec, parameterDefaults(spec), field);
  for (const [name, template] of Object.entries(spec.outputs)) {
    for (const reference of referencesIn(template, `${field}.outputs[${name}]`)) {
      checkReference(reference, `${field}.outputs[${name}]`, scope, undefined);
    }
  }
}

function checkKind(
  step: Step,
  at: string,
  builtins: ReadonlySet<string> | undefined,
  executors: ReadonlySet<string> | undefined,
): void {
  switch (step.kind.case) {
    case 'builtin': {
      const name = step.kind.value.name;
      if (builtins && !builtins.has(name)) {
        const known = [...builtins].sort().join(', ') || 'none';
        throw AppError.invalidArgument(
          `${at}.builtin.name`,
          `unknown built-in step "${name}" (known: ${known})`,
        );
      }
      return;
    }
    case 'command': {
      const argv = step.kind.value.command;
      if (argv.length === 0 || argv[0] === '') {
        throw AppError.invalidArgument(`${at}.command.command`, 'must name a program');
      }
      const executor = step.kind.value.executor;
      if (executors && executor !== '' && !executors.has(executor)) {
        throw AppError.invalidArgument(
          `${at}.command.executor`,
          `no executor is named "${executor}" (configured: ${[...executors].sort().join(', ') || 'none'})`,
        );
      }
      if (step.parameters && Object.hasOwn(step.parameters, inputsKey)) {
        throw AppError.invalidArgument(
          `${at}.parameters.${inputsKey}`,
          'is reserved: a command step finds its upstream outputs there',
        );
      }
      return;
    }
    default:
      throw AppError.invalidArgument(`${at}.kind`, 'must say what it runs: builtin or command');
  }
}

/**
 * One reference in a step (with the step's `upstream`) or in the pipeline's outputs (upstream
 * undefined: any step of the pipeline).
 */
function checkReference(
  reference: string,
  field: string,
  scope: { parameters: ReadonlyMap<string, number>; stepsInPipeline: ReadonlySet<string> },
  upstream: ReadonlySet<string> | undefined,
): void {
  const problem = pipelineReferenceProblem(reference);
  if (problem) throw AppError.invalidArgument(field, `\${${reference}}: ${problem}`);
  const [root, name = ''] = reference.split('.');
  if (root === 'params' && !scope.parameters.has(name)) {
    throw AppError.invalidArgument(field, `\${${reference}}: the pipeline declares no parameter "${name}"`);
  }
  if (root !== 'steps') return;
  if (upstream === undefined) {
    if (!scope.stepsInPipeline.has(name))
      throw AppError.invalidArgument(field, `\${${reference}}: "${name}" is not a step of this pipeline`);
  } else if (!upstream.has(name)) {
    throw AppError.invalidArgument(
      field,
      `\${${reference}}: "${name}" is not a step this one depends on (add it to depends_on)`,
    );
  }
}

/**
 * The strings of a step that may hold templates, with their field paths; `iterated` when they are
 * rendered per iteration of a `for_each` step (so may use `${for_each.…}`).
 */
function stepTemplates(step: Step, field: string): { field: string; text: string; iterated: boolean }[] {
  const iterated = step.forEach !== undefined;
  const found = stringsIn(step.parameters, `${field}.parameters`).map((s) => ({ ...s, iterated }));
  if (step.condition) found.push({ field: `${field}.condition`, text: step.condition, iterated: false });
  if (step.forEach)
    found.push({ field: `${field}.for_each.items`, text: step.forEach.items, iterated: false });
  if (step.kind.case === 'command') {
    const command = step.kind.value;
    for (const [i, arg] of command.command.entries())
      found.push({ field: `${field}.command.command[${i}]`, text: arg, iterated });
    for (const [name, value] of Object.entries(command.env))
      found.push({ field: `${field}.command.env[${name}]`, text: value, iterated });
    if (command.workingDir)
      found.push({ field: `${field}.command.working_dir`, text: command.workingDir, iterated });
  }
  return found;
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
