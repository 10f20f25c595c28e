import { isSha256 } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';

/**
 * Typed access to a built-in step's resolved parameters. Every getter throws
 * `AppError.invalidArgument('parameters.<name>', …)` (not retriable: the same parameters fail the
 * same way on every attempt) when a value is missing or of the wrong shape.
 */
export interface StepParameters {
  /** A non-empty string. */
  string(name: string): string;
  /** A non-empty string, or undefined when absent, null or empty. */
  optionalString(name: string): string | undefined;
  /** A lower-case hex sha256 (64 characters). */
  sha256(name: string): string;
  /** A finite number; a numeric string (e.g. a templated int64) is accepted. */
  number(name: string): number;
  /** Like {@link number}, or `fallback` when absent or null. */
  optionalNumber(name: string, fallback: number): number;
  /** Like {@link number}, or null when absent or null. */
  nullableNumber(name: string): number | null;
  /** A non-empty array of non-empty strings. */
  strings(name: string): string[];
  /** A JSON object. */
  object(name: string): Record<string, unknown>;
  /** A JSON object, or null when absent or null. */
  nullableObject(name: string): Record<string, unknown> | null;
  /** A non-empty array of JSON objects. */
  objects(name: string): Record<string, unknown>[];
  /** An RFC 3339 time, as epoch milliseconds. */
  time(name: string): number;
}

/**
 * Reads parameters from a step context's `parameters`, or from a nested object of them when
 * `prefix` names it in errors (`parameters.candidates[1]`).
 */
export function stepParameters(
  parameters: Readonly<Record<string, unknown>>,
  prefix = 'parameters',
): StepParameters {
  const field = (name: string): string => `${prefix}.${name}`;
  const absent = (value: unknown): boolean => value === undefined || value === null;

  const reader: StepParameters = {
    string(name) {
      const value = parameters[name];
      if (typeof value !== 'string' || value === '') {
        throw AppError.invalidArgument(field(name), `must be a non-empty string, got ${describe(value)}`);
      }
      return value;
    },
    optionalString(name) {
      const value = parameters[name];
      if (absent(value) || value === '') return undefined;
      return reader.string(name);
    },
    sha256(name) {
      const value = reader.string(name);
      if (!isSha256(value)) {
        throw AppError.invalidArgument(
          field(name),
          `must be a sha256 (64 lower-case hex characters), got "${value}"`,
        );
      }
      return value;
    },
    number(name) {
      return toNumber(parameters[name], field(name));
    },
    optionalNumber(name, fallback) {
      const value = parameters[name];
      return absent(value) || value === '' ? fallback : toNumber(value, field(name));
    },
    nullableNumber(name) {
      const value = parameters[name];
      return absent(value) || value === '' ? null : toNumber(value, field(name));
    },
    strings(name) {
      const value = parameters[name];
      if (!Array.isArray(value) || value.length === 0) {
        throw AppError.invalidArgument(
          field(name),
          `must be a non-empty list of strings, got ${describe(value)}`,
        );
      }
      return value.map((item, i) => {
        if (typeof item !== 'string' || item === '') {
          throw AppError.invalidArgument(
            `${field(name)}[${i}]`,
            `must be a non-empty string, got ${describe(item)}`,
          );
        }
        return item;
      });
    },
    object(name) {
      return toObject(parameters[name], field(name));
    },
    nullableObject(name) {
      const value = parameters[name];
      return absent(value) ? null : toObject(value, field(name));
    },
    objects(name) {
      const value = parameters[name];
      if (!Array.isArray(value) || value.length === 0) {
        throw AppError.invalidArgument(
          field(name),
          `must be a non-empty list of objects, got ${describe(value)}`,
        );
      }
      return value.map((item, i) => toObject(item, `${field(name)}[${i}]`));
    },
    time(name) {
      const value = reader.string(name);
      return parseRfc3339(value, field(name));
    },
  };
  return reader;
}

/** Epoch milliseconds of an RFC 3339 timestamp (`2013-01-01T00:00:00Z`); invalid_argument naming `field` otherwise. */
export function parseRfc3339(value: string, field: string): number {
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const ms = rfc3339.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw AppError.invalidArgument(
      field,
      `must be an RFC 3339 time such as 2013-01-01T00:00:00Z, got "${value}"`,
    );
  }
  return ms;
}

function toNumber(value: unknown, field: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw AppError.invalidArgument(field, `must be a finite number, got ${describe(value)}`);
  }
  return number;
}

function toObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw AppError.invalidArgument(field, `must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
