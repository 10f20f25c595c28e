import { AppError } from '@flywheel/core';
import {
  type FieldCondition,
  type FindOptions,
  maxBatchDocuments,
  type OutboxEntry,
  type PutOptions,
  type Scalar,
  type VersionedWrite,
} from './document-store.ts';

// The checks every adapter applies before touching its backend, so that all of them accept and
// reject exactly the same inputs (the contract suite holds them to it).

const collectionNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const indexFieldPattern = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
const maxIdLength = 512;
const maxFindLimit = 10_000;
const defaultFindLimit = 100;
/** MongoDB's nesting limit, applied to every adapter. */
const maxDepth = 100;
/** MongoDB's document size limit; the embedded store counts JSON characters instead of BSON bytes. */
export const maxDocumentBytes = 16 * 1024 * 1024;

export function validateCollectionName(name: string): string {
  if (
    typeof name !== 'string' ||
    !collectionNamePattern.test(name) ||
    name.startsWith('system.') ||
    name.endsWith('.tmp')
  ) {
    throw AppError.invalidArgument(
      'collection',
      `"${String(name)}" is not a collection name (letters, digits, _ - ., up to 100, not system.*)`,
    );
  }
  return name;
}

export function validateIndexes(indexes: readonly string[] | undefined): readonly string[] {
  const fields = [...new Set(indexes ?? [])];
  for (const field of fields) {
    if (typeof field !== 'string' || !indexFieldPattern.test(field)) {
      throw AppError.invalidArgument('indexes', `"${String(field)}" is not a top-level field name`);
    }
  }
  return fields;
}

export function validateDocId(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > maxIdLength) {
    throw AppError.invalidArgument('id', `must be a string of 1 to ${maxIdLength} characters`);
  }
  if (!id.isWellFormed() || id.includes('\0')) {
    throw AppError.invalidArgument('id', 'must be well-formed Unicode without NUL');
  }
  return id;
}

/** `expectedVersion` as given, after checking it is a whole number ≥ 0. */
export function validateExpectedVersion(options: PutOptions | undefined): number | undefined {
  const expected = options?.expectedVersion;
  if (expected === undefined) return undefined;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw AppError.invalidArgument('expectedVersion', `must be a whole number ≥ 0, got ${String(expected)}`);
  }
  return expected;
}

/**
 * A deep copy of `data` holding only JSON values, or `invalid_argument` naming the first path
 * that is not one. The top level must be a plain object.
 */
/** `expiresAt` as epoch ms, after checking it is a valid Date on a write without outbox entries. */
export function validateExpiresAt(options: PutOptions | undefined): number | undefined {
  const expiresAt = options?.expiresAt;
  if (expiresAt === undefined) return undefined;
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
    throw AppError.invalidArgument('expiresAt', `must be a valid Date, got ${String(expiresAt)}`);
  }
  if (options?.outbox?.length) {
    throw AppError.invalidArgument('expiresAt', 'a write that carries outbox entries cannot expire');
  }
  return expiresAt.getTime();
}

/** `ids` of a getMany, each checked (`invalid_argument` naming `ids[i]`), at most maxBatchDocuments. */
export function validateIds(ids: readonly string[]): readonly string[] {
  if (!Array.isArray(ids) || ids.length > maxBatchDocuments) {
    throw AppError.invalidArgument('ids', `must be an array of at most ${maxBatchDocuments} ids`);
  }
  for (const [i, id] of ids.entries()) renamed(`ids[${i}]`, () => validateDocId(id));
  return ids;
}

/**
 * The writes of a putMany, checked and with their data copied as `put` does, or
 * `invalid_argument` naming `writes[i].<field>` for the first bad one (ids must be distinct).
 */
export function validateWrites<T extends object>(writes: readonly VersionedWrite<T>[]): VersionedWrite<T>[] {
  if (!Array.isArray(writes) || writes.length > maxBatchDocuments) {
    throw AppError.invalidArgument('writes', `must be an array of at most ${maxBatchDocuments} writes`);
  }
  const seen = new Set<string>();
  return writes.map((write, i) =>
    renamed(`writes[${i}]`, () => {
      const id = validateDocId(write.id);
      if (seen.has(id)) throw AppError.invalidArgument('id', `${id} is written twice in one batch`);
      seen.add(id);
      const expectedVersion = validateExpectedVersion({ expectedVersion: write.expectedVersion });
      if (expectedVersion === undefined) throw AppError.invalidArgument('expectedVersion', 'is required');
      return { id, data: validateData(write.data), expectedVersion };
    }),
  );
}

/** Runs `check`, prefixing the field its `invalid_argument` names with `prefix`. */
export function renamed<R>(prefix: string, check: () => R): R {
  try {
    return check();
  } catch (error) {
    const cause = AppError.from(error);
    if (cause.code !== 'invalid_argument') throw cause;
    const field = cause.field === undefined ? prefix : `${prefix}.${cause.field}`;
    throw AppError.invalidArgument(field, cause.message.replace(/^[^:]*: /, ''), { cause });
  }
}

export function validateData<T extends object>(data: T): T {
  if (!isPlainObject(data)) throw AppError.invalidArgument('data', 'must be a plain object');
  return copyJson(data, 'data', 0) as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function copyJson(value: unknown, path: string, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed())
        throw AppError.invalidArgument(path, 'string is not well-formed Unicode (lone surrogate)');
      return value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw AppError.invalidArgument(path, `${value} is not a JSON number`);
      return Object.is(value, -0) ? 0 : value;
    case 'bigint':
      throw AppError.invalidArgument(
        path,
        'bigint is not supported in documents; store it as a decimal string',
      );
    case 'object': {
      if (value === null) return null;
      if (depth >= maxDepth)
        throw AppError.invalidArgument(path, `nests deeper than ${maxDepth} levels (or is cyclic)`);
      if (Array.isArray(value)) {
        return value.map((item, i) => {
          if (item === undefined)
            throw AppError.invalidArgument(`${path}[${i}]`, 'undefined is not a JSON value');
          return copyJson(item, `${path}[${i}]`, depth + 1);
        });
      }
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        throw AppError.invalidArgument(
          path,
          'binary data is not supported in documents; store it base64-encoded, or in the blob store',
        );
      }
      if (value instanceof Date) {
        throw AppError.invalidArgument(path, 'Date is not supported in documents; store an ISO 8601 string');
      }
      if (!isPlainObject(value)) {
        throw AppError.invalidArgument(
          path,
          `${value.constructor?.name ?? 'object'} is not a plain JSON object`,
        );
      }
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined) continue;
        if (key.startsWith('$') || key.includes('\0') || !key.isWellFormed()) {
          throw AppError.invalidArgument(
            `${path}.${key}`,
            'field names must not start with $ or contain NUL',
          );
        }
        // defineProperty, so a "__proto__" key stays data instead of changing the prototype.
        Object.defineProperty(copy, key, {
          value: copyJson(item, `${path}.${key}`, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return copy;
    }
    default:
      throw AppError.invalidArgument(path, `${typeof value} is not a JSON value`);
  }
}

/**
 * A deep copy of data {@link validateData} already checked (JSON values only): several times
 * faster than `structuredClone` on the small documents reads hand out, and it keeps a
 * `"__proto__"` key as data, as the check does.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    } else out[key] = item;
  }
  return out as T;
}

/** Copies of the entries (values copied too), or `invalid_argument` naming the bad field. */
export function validateOutbox(entries: readonly OutboxEntry[] | undefined): OutboxEntry[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw AppError.invalidArgument('outbox', 'must be an array');
  const seen = new Set<string>();
  return entries.map((entry: OutboxEntry, i) => {
    const at = `outbox[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw AppError.invalidArgument(at, 'must be an object');
    if (typeof entry.id !== 'string' || entry.id === '' || entry.id.length > 256) {
      throw AppError.invalidArgument(`${at}.id`, 'must be a string of 1 to 256 characters');
    }
    if (seen.has(entry.id)) throw AppError.invalidArgument(`${at}.id`, `"${entry.id}" appears twice`);
    seen.add(entry.id);
    if (typeof entry.topic !== 'string' || entry.topic === '') {
      throw AppError.invalidArgument(`${at}.topic`, 'must be a non-empty string');
    }
    if (typeof entry.key !== 'string') throw AppError.invalidArgument(`${at}.key`, 'must be a string');
    if (!(entry.value instanceof Uint8Array))
      throw AppError.invalidArgument(`${at}.value`, 'must be a Uint8Array');
    const headers: Record<string, string> = {};
    if (typeof entry.headers !== 'object' || entry.headers === null) {
      throw AppError.invalidArgument(`${at}.headers`, 'must be an object of strings');
    }
    for (const [name, value] of Object.entries(entry.headers)) {
      if (typeof value !== 'string')
        throw AppError.invalidArgument(`${at}.headers.${name}`, 'must be a string');
      Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return { id: entry.id, topic: entry.topic, key: entry.key, value: new Uint8Array(entry.value), headers };
  });
}

/** A range operator of {@link RangeCondition}. */
export type RangeOperator = 'gt' | 'gte' | 'lt' | 'lte';
const rangeOperators: ReadonlySet<string> = new Set<RangeOperator>(['gt', 'gte', 'lt', 'lte']);

/** One checked bound of a range. */
export type RangeBound = readonly [operator: RangeOperator, value: Scalar];

export interface CheckedFind {
  /** Equality conditions. */
  filter: [field: string, value: Scalar][];
  /** Membership conditions: the field equals one of the values (none: matches nothing). */
  memberships: [field: string, values: Scalar[]][];
  /** Range conditions, one or more bounds per field. */
  ranges: [field: string, bounds: RangeBound[]][];
  limit: number;
  sortBy: string | undefined;
  descending: boolean;
  /** The keyset cursor; `value` is undefined when sorting by id. */
  after: { value: Scalar | null | undefined; id: string } | undefined;
  /** Bounds on the id. */
  idRange: RangeBound[];
}

function isCheckedScalar(value: unknown): value is Scalar {
  return typeof value === 'string'
    ? value.isWellFormed()
    : typeof value === 'number'
      ? Number.isFinite(value)
      : typeof value === 'boolean';
}

/** Most values of one `in` condition. */
const maxInValues = 1000;

function checkMembership(condition: object, at: string): Scalar[] {
  const { in: values, ...rest } = condition as { in: unknown };
  if (Object.keys(rest).length > 0)
    throw AppError.invalidArgument(at, '`in` takes no other operator beside it');
  if (!Array.isArray(values) || values.length > maxInValues || !values.every(isCheckedScalar)) {
    throw AppError.invalidArgument(
      `${at}.in`,
      `must be an array of at most ${maxInValues} strings, finite numbers or booleans`,
    );
  }
  return [...values];
}

function checkRange(condition: object, at: string): RangeBound[] {
  if (Array.isArray(condition) || Object.getPrototypeOf(condition) !== Object.prototype) {
    throw AppError.invalidArgument(at, 'must be a scalar or a range object ({ gt, gte, lt, lte })');
  }
  const bounds: RangeBound[] = [];
  for (const [operator, bound] of Object.entries(condition)) {
    if (!rangeOperators.has(operator)) {
      throw AppError.invalidArgument(
        at,
        `"${operator}" is not a range operator (gt, gte, lt, lte); equality takes a plain value`,
      );
    }
    if (bound === undefined) continue;
    if (!isCheckedScalar(bound)) {
      throw AppError.invalidArgument(at, `${operator} must be a string, a finite number or a boolean`);
    }
    bounds.push([operator as RangeOperator, bound]);
  }
  if (bounds.length === 0)
    throw AppError.invalidArgument(at, 'a range needs at least one of gt, gte, lt, lte');
  return bounds;
}

/** The filter and options of `find`, checked against the collection's declared indexes. */
export function validateFind(
  filter: Readonly<Record<string, FieldCondition>>,
  options: FindOptions,
  indexes: readonly string[],
): CheckedFind {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw AppError.invalidArgument('filter', 'must be an object of field → value');
  }
  const declared = new Set(indexes);
  const hint = indexes.length
    ? `indexed fields: ${indexes.join(', ')}`
    : 'this collection declares no indexes';
  const pairs: [string, Scalar][] = [];
  const ranges: [string, RangeBound[]][] = [];
  const memberships: [string, Scalar[]][] = [];
  for (const [field, value] of Object.entries(filter)) {
    if (!declared.has(field))
      throw AppError.invalidArgument(`filter.${field}`, `is not an indexed field (${hint})`);
    if (typeof value === 'object' && value !== null && 'in' in value) {
      memberships.push([field, checkMembership(value, `filter.${field}`)]);
      continue;
    }
    if (typeof value === 'object' && value !== null) {
      ranges.push([field, checkRange(value, `filter.${field}`)]);
      continue;
    }
    if (!isCheckedScalar(value))
      throw AppError.invalidArgument(`filter.${field}`, 'must be a string, a finite number or a boolean');
    pairs.push([field, value]);
  }
  const limit = options.limit ?? defaultFindLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxFindLimit) {
    throw AppError.invalidArgument(
      'limit',
      `must be a whole number from 1 to ${maxFindLimit}, got ${String(limit)}`,
    );
  }
  if (options.sortBy !== undefined && !declared.has(options.sortBy)) {
    throw AppError.invalidArgument('sortBy', `"${options.sortBy}" is not an indexed field (${hint})`);
  }
  let after: CheckedFind['after'];
  if (options.after !== undefined) {
    const { id, value } = options.after as { id?: unknown; value?: unknown };
    if (typeof id !== 'string' || !id.isWellFormed() || id.length > maxIdLength) {
      throw AppError.invalidArgument('after.id', `must be a string of up to ${maxIdLength} characters`);
    }
    if (options.sortBy === undefined) {
      if (value !== undefined)
        throw AppError.invalidArgument('after.value', 'must be left out when sorting by id');
    } else if (value === undefined || (value !== null && !isCheckedScalar(value))) {
      throw AppError.invalidArgument(
        'after.value',
        `must be the ${options.sortBy} of the last document: a string, a finite number, a boolean or null`,
      );
    }
    after = { id, value: value as Scalar | null | undefined };
  }
  let idRange: RangeBound[] = [];
  if (options.idRange !== undefined) {
    if (typeof options.idRange !== 'object' || options.idRange === null) {
      throw AppError.invalidArgument('idRange', 'must be a range object ({ gt, gte, lt, lte })');
    }
    idRange = checkRange(options.idRange, 'idRange');
    if (idRange.some(([, bound]) => typeof bound !== 'string'))
      throw AppError.invalidArgument('idRange', 'ids are strings: bounds must be strings');
  }
  return {
    filter: pairs,
    memberships,
    ranges,
    limit,
    sortBy: options.sortBy,
    descending: options.descending ?? false,
    after,
    idRange,
  };
}

/** `limit` of pendingOutbox: 1…10 000, default 100. */
export function validatePendingLimit(limit: number | undefined): number {
  const value = limit ?? defaultFindLimit;
  if (!Number.isSafeInteger(value) || value < 1 || value > maxFindLimit) {
    throw AppError.invalidArgument(
      'limit',
      `must be a whole number from 1 to ${maxFindLimit}, got ${String(value)}`,
    );
  }
  return value;
}

export function validateRelayed(
  items: readonly { collection: string; docId: string; entryId: string }[],
): Map<string, Map<string, Set<string>>> {
  const byCollection = new Map<string, Map<string, Set<string>>>();
  items.forEach((item, i) => {
    if (
      typeof item?.collection !== 'string' ||
      typeof item.docId !== 'string' ||
      typeof item.entryId !== 'string'
    ) {
      throw AppError.invalidArgument(`items[${i}]`, 'needs collection, docId and entryId strings');
    }
    const docs = byCollection.get(item.collection) ?? new Map<string, Set<string>>();
    byCollection.set(item.collection, docs);
    const ids = docs.get(item.docId) ?? new Set<string>();
    docs.set(item.docId, ids);
    ids.add(item.entryId);
  });
  return byCollection;
}
