import type { JsonValue } from '@bufbuild/protobuf';

/** What `${...}` references resolve against. */
export interface TemplateScope {
  /** `${params.<name>}`. */
  readonly params: Readonly<Record<string, JsonValue>>;
  /** `${steps.<step>.outputs.<key>}`: outputs of finished steps. */
  readonly steps: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
  /** `${run.id}`, `${run.pipeline_name}`. */
  readonly run: { readonly id: string; readonly pipeline_name: string };
}

/** A reference that does not resolve, with the reference as written. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly reference: string;
  constructor(reference: string, problem: string) {
    super(`\${${reference}}: ${problem}`);
    this.reference = reference;
  }
}

// `$${` escapes a literal `${`.
const referencePattern = /\$?\$\{([^}]*)\}/g;
const wholeReference = /^\$\{([^}]*)\}$/;

/** The references (`steps.train.outputs.model`, …) a string holds, escapes excluded. */
export function referencesIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(referencePattern)) {
    if (!match[0].startsWith('$$')) found.push((match[1] ?? '').trim());
  }
  return found;
}

/** Every reference in a JSON value's strings, recursively. */
export function referencesInValue(value: JsonValue | undefined): string[] {
  if (typeof value === 'string') return referencesIn(value);
  if (Array.isArray(value)) return value.flatMap((v) => referencesInValue(v));
  if (value !== null && typeof value === 'object')
    return Object.values(value).flatMap((v) => referencesInValue(v));
  return [];
}

/**
 * Resolves the templates in a string: one that is exactly one reference keeps the referenced
 * value's JSON type; otherwise references are interpolated (strings as they are, other values as
 * JSON). Throws {@link TemplateError} for an unknown or missing reference.
 */
export function resolveString(text: string, scope: TemplateScope): JsonValue {
  const whole = wholeReference.exec(text);
  if (whole) return lookup((whole[1] ?? '').trim(), scope);
  return text.replace(referencePattern, (match, reference: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    const value = lookup(reference.trim(), scope);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** Resolves the templates in every string of a JSON value (keys are left as they are). */
export function resolveValue(value: JsonValue, scope: TemplateScope): JsonValue {
  if (typeof value === 'string') return resolveString(value, scope);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, scope)]));
  }
  return value;
}

/** The step a reference points at (`steps.<step>…`), or undefined for other roots. */
export function referencedStep(reference: string): string | undefined {
  const [root, step] = reference.split('.');
  return root === 'steps' ? step : undefined;
}

/** A problem with a reference's shape that needs no run to see, or undefined when well formed. */
export function referenceProblem(reference: string): string | undefined {
  const parts = reference.split('.');
  const [root] = parts;
  if (root === 'params') return parts.length >= 2 && parts[1] ? undefined : 'expected params.<name>';
  if (root === 'run') {
    return parts.length === 2 && (parts[1] === 'id' || parts[1] === 'pipeline_name')
      ? undefined
      : 'expected run.id or run.pipeline_name';
  }
  if (root === 'steps') {
    return parts.length >= 4 && parts[1] && parts[2] === 'outputs' && parts[3]
      ? undefined
      : 'expected steps.<step>.outputs.<key>';
  }
  return `unknown root "${root}" (params, steps, run)`;
}

function lookup(reference: string, scope: TemplateScope): JsonValue {
  const problem = referenceProblem(reference);
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
  return value as JsonValue;
}

function child(value: JsonValue | undefined, key: string): JsonValue | undefined {
  if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === 'object') return Object.hasOwn(value, key) ? value[key] : undefined;
  return undefined;
}
