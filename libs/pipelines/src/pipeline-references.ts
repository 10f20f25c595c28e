import type { JsonValue } from '@bufbuild/protobuf';
import { type ResolveReference, TemplateError } from './templates.ts';

/** What a pipeline's `${…}` references resolve against while it runs. */
export interface PipelineScope {
  /** `${params.<name>[.<path>]}`. */
  readonly params: Readonly<Record<string, JsonValue>>;
  /** `${steps.<step>.outputs.<key>[.<path>]}`: outputs of finished steps. */
  readonly steps: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
  /** `${run.id}`, `${run.pipeline_name}`. */
  readonly run: { readonly id: string; readonly pipeline_name: string };
  /** `${for_each.item[.<path>]}`, `${for_each.index}`: set for an iteration of a `for_each` step. */
  readonly forEach?: { readonly item: JsonValue; readonly index: number };
}

/**
 * What is wrong with the shape of a pipeline reference, needing no run to see; undefined when it
 * is one of `params.<name>…`, `steps.<step>.outputs[.<key>…]`, `run.id`, `run.pipeline_name`,
 * `for_each.item…`, `for_each.index`.
 */
export function pipelineReferenceProblem(reference: string): string | undefined {
  const parts = reference.split('.');
  const [root] = parts;
  if (root === 'params') return parts.length >= 2 && parts[1] ? undefined : 'expected params.<name>';
  if (root === 'run') {
    return parts.length === 2 && (parts[1] === 'id' || parts[1] === 'pipeline_name')
      ? undefined
      : 'expected run.id or run.pipeline_name';
  }
  if (root === 'steps') {
    // `steps.<step>.outputs` alone is the whole outputs object.
    return parts.length >= 3 && parts[1] && parts[2] === 'outputs' && parts[3] !== ''
      ? undefined
      : 'expected steps.<step>.outputs[.<key>]';
  }
  if (root === 'for_each') {
    return (parts[1] === 'index' && parts.length === 2) ||
      (parts[1] === 'item' && !parts.slice(2).includes(''))
      ? undefined
      : 'expected for_each.item[.<field>] or for_each.index';
  }
  return `unknown root "${root}" (params, steps, run, for_each)`;
}

/**
 * The resolver of a pipeline's references against `scope`, for {@link renderTemplate}. Throws
 * {@link TemplateError} saying what is missing (a malformed reference, a step with no outputs, an
 * unset key); a path into arrays takes indexes (`steps.evaluate.outputs.metrics.0.value`).
 */
export function pipelineResolver(scope: PipelineScope): ResolveReference {
  return (reference) => {
    const problem = pipelineReferenceProblem(reference);
    if (problem) throw new TemplateError(reference, problem);
    const parts = reference.split('.');
    let value: JsonValue | undefined;
    let path: string[];
    if (parts[0] === 'params') {
      value = scope.params as Record<string, JsonValue>;
      path = parts.slice(1);
    } else if (parts[0] === 'run') {
      value = scope.run;
      path = parts.slice(1);
    } else if (parts[0] === 'for_each') {
      if (!scope.forEach) throw new TemplateError(reference, 'only a step with for_each has an item');
      value = parts[1] === 'index' ? scope.forEach.index : scope.forEach.item;
      path = parts.slice(2);
    } else {
      const outputs = scope.steps[parts[1] ?? ''];
      if (!outputs)
        throw new TemplateError(reference, `step "${parts[1]}" has no outputs (not finished or skipped)`);
      value = outputs as Record<string, JsonValue>;
      path = parts.slice(3);
    }
    for (const key of path) {
      value = child(value, key);
      if (value === undefined) throw new TemplateError(reference, `"${key}" is not set`);
    }
    return value;
  };
}

function child(value: JsonValue | undefined, key: string): JsonValue | undefined {
  if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === 'object') return Object.hasOwn(value, key) ? value[key] : undefined;
  return undefined;
}
