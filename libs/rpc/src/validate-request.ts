import { type DescField, type DescMessage, getOption, hasOption, type Message } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import { type FieldRules, rules as rulesOption } from '@flywheel/proto/flywheel/common/v1/validate_pb.js';

/** A check of one field of one message type, with the nested checks of its message values. */
interface FieldCheck {
  field: DescField;
  rules: FieldRules | undefined;
  pattern: RegExp | undefined;
  nested: DescMessage | undefined;
}

const plans = new WeakMap<DescMessage, FieldCheck[]>();

/**
 * The checks for a message type, computed once: only fields with `(flywheel.common.v1.rules)` or
 * holding messages that have some. An empty plan makes validation of that type free.
 */
function planFor(schema: DescMessage, visiting = new Set<DescMessage>()): FieldCheck[] {
  const cached = plans.get(schema);
  if (cached) return cached;
  if (visiting.has(schema)) return []; // recursive types: the outer call finishes the plan
  visiting.add(schema);
  const checks: FieldCheck[] = [];
  for (const field of schema.fields) {
    const rules = hasOption(field, rulesOption) ? getOption(field, rulesOption) : undefined;
    const message = field.message;
    const nested = message && planFor(message, visiting).length > 0 ? message : undefined;
    if (rules === undefined && nested === undefined) continue;
    const pattern = rules?.pattern ? new RegExp(rules.pattern, 'u') : undefined;
    checks.push({ field, rules, pattern, nested });
  }
  visiting.delete(schema);
  plans.set(schema, checks);
  return checks;
}

function fieldValue(message: Message, field: DescField): unknown {
  const record = message as unknown as Record<string, unknown>;
  if (field.oneof) {
    const selected = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
    return selected?.case === field.localName ? selected.value : undefined;
  }
  return record[field.localName];
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === 0n || value === false)
    return true;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && !('$typeName' in value)) return Object.keys(value).length === 0;
  return false;
}

function sizeOf(value: unknown): number | undefined {
  if (typeof value === 'string') return [...value].length;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length;
  if (typeof value === 'object' && value !== null && !('$typeName' in value))
    return Object.keys(value).length;
  return undefined;
}

function checkRules(path: string, value: unknown, rules: FieldRules, pattern: RegExp | undefined): void {
  if (rules.required && isEmpty(value)) throw AppError.invalidArgument(path, 'is required');
  if (rules.maxLen > 0) {
    const size = sizeOf(value);
    if (size !== undefined && size > rules.maxLen) {
      throw AppError.invalidArgument(path, `must be at most ${rules.maxLen} long, got ${size}`);
    }
  }
  if (pattern && typeof value === 'string' && value !== '' && !pattern.test(value)) {
    throw AppError.invalidArgument(path, `must match ${rules.pattern}, got "${value}"`);
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    if (Number.isNaN(n)) throw AppError.invalidArgument(path, 'must be a number, got NaN');
    if (rules.gte !== undefined && n < rules.gte)
      throw AppError.invalidArgument(path, `must be ≥ ${rules.gte}, got ${n}`);
    if (rules.lte !== undefined && n > rules.lte)
      throw AppError.invalidArgument(path, `must be ≤ ${rules.lte}, got ${n}`);
  }
}

function validateAt(schema: DescMessage, message: Message, prefix: string): void {
  for (const { field, rules, pattern, nested } of planFor(schema)) {
    const path = prefix + field.name;
    const value = fieldValue(message, field);
    if (rules) checkRules(path, value, rules, pattern);
    if (!nested || value === undefined) continue;
    if (field.fieldKind === 'list') {
      for (const [i, item] of (value as Message[]).entries()) validateAt(nested, item, `${path}[${i}].`);
    } else if (field.fieldKind === 'map') {
      for (const [key, item] of Object.entries(value as Record<string, Message>)) {
        validateAt(nested, item, `${path}[${key}].`);
      }
    } else {
      validateAt(nested, value as Message, `${path}.`);
    }
  }
}

/**
 * Enforces the `(flywheel.common.v1.rules)` field options of `schema` on `message`, nested
 * messages included. Throws `invalid_argument` naming the first field at fault by its path.
 */
export function validateMessage(schema: DescMessage, message: Message): void {
  validateAt(schema, message, '');
}
