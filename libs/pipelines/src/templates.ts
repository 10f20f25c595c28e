import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import { parseExpression, shiftTime, type TemplateExpression } from './time-shift.ts';

// The template grammar of pipeline specs and of the scheduler's schedules and trigger rules (see
// proto/flywheel/common/v1/pipeline.proto): `${<reference>}` inside a string; `$${` is a literal
// `${`; a string that is exactly one reference keeps the referenced value's JSON type. A reference
// may be shifted by durations when its value is a time: `${schedule.tick_time - 7d}`,
// `${params.end_time - P7D}` (see time-shift.ts). Which references exist is the caller's: it
// passes the roots it knows and a resolver, which only ever sees the bare reference.

const referencePattern = /\$?\$\{([^}]*)\}/g;
const wholeReference = /^\$\{([^}]*)\}$/;

/**
 * A reference that cannot be resolved or is malformed: `invalid_argument`, naming the field when
 * the caller gave one. The message is `[<field>: ]${<reference>}: <problem>`.
 */
export class TemplateError extends AppError {
  readonly reference: string;
  readonly problem: string;
  constructor(reference: string, problem: string, field?: string) {
    const text = `\${${reference}}: ${problem}`;
    super('invalid_argument', field ? `${field}: ${text}` : text, field ? { field } : {});
    this.reference = reference;
    this.problem = problem;
  }
}

/**
 * Resolves one reference (`params.model`, `event.model_name`…) to its value; undefined when it
 * cannot. It may throw a {@link TemplateError} to say precisely why.
 */
export type ResolveReference = (reference: string) => JsonValue | undefined;

/**
 * The expressions in `text`, in order; `$${…}` escapes are not references. Throws a
 * {@link TemplateError} (naming `field` when given) for a malformed one, e.g. `${a - 7x}`.
 */
export function expressionsIn(text: string, field?: string): TemplateExpression[] {
  const found: TemplateExpression[] = [];
  for (const match of text.matchAll(referencePattern)) {
    if (!match[0].startsWith('$$')) found.push(expressionOf((match[1] ?? '').trim(), field));
  }
  return found;
}

/** The references in `text` (without their shifts), in order; see {@link expressionsIn}. */
export function referencesIn(text: string, field?: string): string[] {
  return expressionsIn(text, field).map((expression) => expression.reference);
}

function expressionOf(text: string, field: string | undefined): TemplateExpression {
  const parsed = parseExpression(text);
  if (typeof parsed === 'string') throw new TemplateError(text, parsed, field);
  return parsed;
}

/** Every string inside a JSON value, with its field path under `field` (`parameters.model.name`). */
export function stringsIn(value: JsonValue | undefined, field: string): { field: string; text: string }[] {
  if (typeof value === 'string') return [{ field, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, `${field}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => stringsIn(item, `${field}.${key}`));
  }
  return [];
}

/**
 * `text` with every reference replaced and every `$${` unescaped. A string that is exactly one
 * reference becomes the value itself (a number stays a number); otherwise values are spliced in
 * as text (strings as they are, anything else as JSON). Throws {@link TemplateError}, naming
 * `field` when given, for a reference that does not resolve.
 */
export function renderTemplate(text: string, resolve: ResolveReference, field?: string): JsonValue {
  const whole = wholeReference.exec(text);
  if (whole) return resolveOrThrow((whole[1] ?? '').trim(), resolve, field);
  return text.replace(referencePattern, (match, expression: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    const value = resolveOrThrow(expression.trim(), resolve, field);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * A copy of `value` with every string rendered by {@link renderTemplate} (keys are left as they
 * are). With `field`, an error names the string's path under it (`parameters.model.name`).
 */
export function renderJson(value: JsonValue, resolve: ResolveReference, field?: string): JsonValue {
  if (typeof value === 'string') return renderTemplate(value, resolve, field);
  if (Array.isArray(value))
    return value.map((item, i) => renderJson(item, resolve, field && `${field}[${i}]`));
  if (value !== null && typeof value === 'object') return renderObject(value, resolve, field);
  return value;
}

/** {@link renderJson} for an object such as run parameters. */
export function renderObject(object: JsonObject, resolve: ResolveReference, field?: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(object))
    out[key] = renderJson(item, resolve, field && `${field}.${key}`);
  return out;
}

function resolveOrThrow(text: string, resolve: ResolveReference, field: string | undefined): JsonValue {
  const { reference, shiftMs } = expressionOf(text, field);
  let value: JsonValue | undefined;
  try {
    value = resolve(reference);
  } catch (error) {
    if (field && error instanceof TemplateError && !error.field)
      throw new TemplateError(error.reference, error.problem, field);
    throw error;
  }
  if (value === undefined) throw new TemplateError(reference, 'cannot be resolved', field);
  if (shiftMs === undefined) return value;
  const shifted = shiftTime(value, shiftMs);
  if (typeof shifted !== 'string') throw new TemplateError(text, shifted.problem, field);
  return shifted;
}

/**
 * Checks that every reference in the strings of `value` is well formed and starts with one of
 * `roots` (`event`, `run`…); `check` may look further at each (told whether it is shifted by a
 * duration, so it can refuse shifting what is not a time). Throws `invalid_argument` naming the
 * string's field.
 */
export function checkReferences(
  value: JsonValue | undefined,
  field: string,
  roots: readonly string[],
  check: (reference: string, field: string, shifted: boolean) => void = () => {},
): void {
  for (const { field: at, text } of stringsIn(value, field)) {
    for (const { reference, shiftMs } of expressionsIn(text, at)) {
      if (!roots.some((root) => reference.startsWith(`${root}.`))) {
        throw AppError.invalidArgument(
          at,
          `\${${reference}} is not a reference this can use (${roots.map((r) => `\${${r}.…}`).join(', ')})`,
        );
      }
      check(reference, at, shiftMs !== undefined);
    }
  }
}
