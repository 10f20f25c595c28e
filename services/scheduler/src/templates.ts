import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';

// Template syntax shared with the orchestrator (see proto/flywheel/common/v1/pipeline.proto):
// `${<reference>}` inside a string; a string that is exactly one reference keeps the referenced
// value's JSON type.

const referencePattern = /\$\{([^}]*)\}/g;
const wholePattern = /^\$\{([^}]*)\}$/;

/** The references (`params.x`, `event.model_name`…) in `text`, trimmed, in order. */
export function referencesIn(text: string): string[] {
  return [...text.matchAll(referencePattern)].map((match) => (match[1] ?? '').trim());
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

/** Resolves one reference to its value; undefined when it cannot be resolved. */
export type ResolveReference = (reference: string) => JsonValue | undefined;

/**
 * `text` with every reference replaced. A string that is exactly one reference becomes the value
 * itself (a number stays a number); otherwise values are spliced in as text (strings as they are,
 * anything else as JSON). Throws `invalid_argument` naming `field` for an unresolvable reference.
 */
export function renderTemplate(text: string, resolve: ResolveReference, field: string): JsonValue {
  const whole = wholePattern.exec(text);
  if (whole) return resolveOrThrow((whole[1] ?? '').trim(), resolve, field);
  return text.replace(referencePattern, (_, reference: string) => {
    const value = resolveOrThrow(reference.trim(), resolve, field);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** A copy of `value` with every string rendered by {@link renderTemplate}; fields are named under `field`. */
export function renderJson(value: JsonValue, resolve: ResolveReference, field: string): JsonValue {
  if (typeof value === 'string') return renderTemplate(value, resolve, field);
  if (Array.isArray(value)) return value.map((item, i) => renderJson(item, resolve, `${field}[${i}]`));
  if (value !== null && typeof value === 'object') return renderObject(value, resolve, field);
  return value;
}

/** {@link renderJson} for an object such as run parameters. */
export function renderObject(object: JsonObject, resolve: ResolveReference, field: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(object)) out[key] = renderJson(item, resolve, `${field}.${key}`);
  return out;
}

function resolveOrThrow(reference: string, resolve: ResolveReference, field: string): JsonValue {
  const value = resolve(reference);
  if (value === undefined) throw AppError.invalidArgument(field, `cannot resolve \${${reference}}`);
  return value;
}

/**
 * Checks that every reference in the strings of `value` starts with one of `roots`
 * (`event.`, `run.`…); `check` may look further at the rest. Throws `invalid_argument` naming
 * the string's field.
 */
export function checkReferences(
  value: JsonValue | undefined,
  field: string,
  roots: readonly string[],
  check: (reference: string, field: string) => void = () => {},
): void {
  for (const { field: at, text } of stringsIn(value, field)) {
    for (const reference of referencesIn(text)) {
      if (!roots.some((root) => reference.startsWith(`${root}.`))) {
        throw AppError.invalidArgument(
          at,
          `\${${reference}} is not a reference this can use (${roots.map((r) => `\${${r}.…}`).join(', ')})`,
        );
      }
      check(reference, at);
    }
  }
}
