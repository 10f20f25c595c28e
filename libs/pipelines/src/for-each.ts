import { type JsonObject, type JsonValue, toJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type { PipelineSpec } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { pipelineResolver } from './pipeline-references.ts';
import { referencesIn, renderTemplate } from './templates.ts';

/** Most iterations one `for_each` step may have: each is a job with its own record in the run. */
export const maxForEachItems = 1000;

/**
 * The items of a `for_each` step from its rendered `items` template: a list as it is, a string
 * parsed as JSON (a literal `[0.01, 0.1]`, or a parameter holding such text). Throws
 * `invalid_argument` naming `field` when that is not a list or has more than
 * {@link maxForEachItems} items.
 */
export function forEachItemsOf(value: JsonValue, field: string): JsonValue[] {
  let items: JsonValue = value;
  if (typeof value === 'string') {
    try {
      items = JSON.parse(value) as JsonValue;
    } catch {
      throw AppError.invalidArgument(field, `must be a JSON list; got the text ${preview(value)}`);
    }
  }
  if (!Array.isArray(items))
    throw AppError.invalidArgument(field, `must be a JSON list; got ${preview(JSON.stringify(items))}`);
  if (items.length > maxForEachItems) {
    throw AppError.invalidArgument(
      field,
      `has ${items.length} items; a step runs at most ${maxForEachItems} iterations`,
    );
  }
  return items;
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks the `for_each.items` that are known before the run starts: those referring to nothing
 * or only to parameters set in `params` (the run's, or the declared defaults at validation).
 * Items from step outputs are checked when those steps finish. Throws `invalid_argument` naming
 * `<field>.steps[i].for_each.items`.
 */
export function checkForEachItemsKnownNow(spec: PipelineSpec, params: JsonObject, field: string): void {
  for (const [i, step] of spec.steps.entries()) {
    if (!step.forEach) continue;
    const at = `${field}.steps[${i}].for_each.items`;
    const known = referencesIn(step.forEach.items, at).every((reference) => {
      const [root, name = ''] = reference.split('.');
      return root === 'params' && Object.hasOwn(params, name);
    });
    if (!known) continue;
    const resolve = pipelineResolver({ params, steps: {}, run: { id: '', pipeline_name: '' } });
    forEachItemsOf(renderTemplate(step.forEach.items, resolve, at), at);
  }
}

/** The declared parameter defaults, as run parameters (those without one left out). */
export function parameterDefaults(spec: PipelineSpec): JsonObject {
  const defaults: JsonObject = {};
  for (const parameter of spec.parameters) {
    if (parameter.defaultValue) defaults[parameter.name] = toJson(ValueSchema, parameter.defaultValue);
  }
  return defaults;
}
