import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError, type CallOptions, type Logger, silentLogger, throwIfAborted } from '@flywheel/core';
import { withDeadline } from './call-deadline.ts';
import { compareCodePoints, compareValues, indexKeys, meetsBound, scalarKey } from './compare-values.ts';
import { type DirLock, lockDir } from './dir-lock.ts';
import type {
  Collection,
  DeleteOptions,
  Doc,
  DocumentStore,
  FieldCondition,
  FindOptions,
  OutboxEntry,
  PendingOutboxEntry,
  PutOptions,
  RelayedEntry,
  VersionedWrite,
} from './document-store.ts';
import { type Journal, openJournal } from './embedded-journal.ts';
import {
  cloneJson,
  maxDocumentBytes,
  validateCollectionName,
  validateData,
  validateDocId,
  validateExpectedVersion,
  validateExpiresAt,
  validateFind,
  validateIds,
  validateIndexes,
  validateOutbox,
  validatePendingLimit,
  validateRelayed,
  validateWrites,
} from './validate-document.ts';

export interface EmbeddedStoreOptions {
  /** The store's directory (created if missing): one `<collection>.jsonl` journal each, and `LOCK`. */
  dir: string;
  log?: Logger;
  /** fdatasync every write before acknowledging it, so it survives a crash. Default true. */
  fsync?: boolean;
  /** Deadline of a write when the caller gives none, ms. Default 5000. */
  defaultTimeoutMs?: number;
  /** Compact a journal once it has this many lines and twice as many as live documents. Default 10 000. */
  compactAfterLines?: number;
  /** How often expired documents are removed, ms (reads skip them before that). Default 60 000. */
  sweepIntervalMs?: number;
}

/**
 * The embedded document store: file-backed, for one process (Flywheel's embedded mode; not a test
 * fake). Documents live in memory and in an append-only journal per collection — one JSON line per
 * atomic write, holding the document's new version and the outbox entries added with it (bytes
 * base64) — replayed on open and compacted as it grows. Concurrent writes to a collection share
 * one `fdatasync` (group commit); a write resolves only after it is durable (with `fsync`, the
 * default). A torn last line left by a crash is dropped on open. `dir/LOCK` keeps a second process
 * out (`failed_precondition`); the lock of a process that died is taken over. Documents written
 * with `expiresAt` read as absent once it passes and are removed by a sweep every `sweepIntervalMs`.
 *
 * Throws `data_loss` when a journal is corrupt before its last line.
 */
export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<DocumentStore> {
  const log = options.log ?? silentLogger;
  const fsync = options.fsync ?? true;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
  const compactAfterLines = options.compactAfterLines ?? 10_000;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const lock = await lockDir(dir, log);
  try {
    return await openStore({ dir, log, fsync, defaultTimeoutMs, compactAfterLines, sweepIntervalMs, lock });
  } catch (error) {
    await lock.release();
    throw AppError.from(error);
  }
}

interface StoredEntry {
  readonly entry: OutboxEntry;
  /** Store-wide write order, for oldest-first relaying. */
  readonly seq: number;
}

interface StoredDoc {
  readonly version: number;
  readonly data: object | null;
  readonly outbox: readonly StoredEntry[];
  /** A deleted document whose outbox is not relayed yet: invisible, removed once relayed. */
  readonly deleted: boolean;
  /** Epoch ms from which the document reads as absent (and the sweep removes it). */
  readonly expiresAt?: number;
}

interface EntryRecord {
  id: string;
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  seq: number;
}

type JournalRecord =
  | {
      op: 'put';
      id: string;
      v: number;
      data: object | null;
      add?: EntryRecord[];
      deleted?: true;
      /** expiresAt, epoch ms. */
      exp?: number;
    }
  | { op: 'remove'; id: string }
  | { op: 'relayed'; id: string; entries: string[] };

interface Plan {
  record?: JournalRecord;
  result: unknown;
}

interface WriteOp {
  id: string;
  plan(current: StoredDoc | undefined): Plan;
  started: boolean;
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface CollectionState {
  readonly name: string;
  readonly docs: Map<string, StoredDoc>;
  /** field → equality key → ids. */
  readonly indexes: Map<string, Map<string, Set<string>>>;
  /** Ids of documents with outbox entries. */
  readonly pending: Set<string>;
  journal: Journal | undefined;
  queue: WriteOp[];
  /** True while {@link flush} runs; it clears this itself, in the same tick it sees an empty queue. */
  draining: boolean;
  flushing: Promise<void>;
}

function applyRecord(previous: StoredDoc | undefined, record: JournalRecord): StoredDoc | undefined {
  switch (record.op) {
    case 'put':
      return {
        version: record.v,
        data: record.data,
        deleted: record.deleted === true,
        outbox: [...(previous?.outbox ?? []), ...(record.add ?? []).map(fromEntryRecord)],
        ...(record.exp === undefined ? {} : { expiresAt: record.exp }),
      };
    case 'remove':
      return undefined;
    case 'relayed': {
      if (!previous) return undefined;
      const gone = new Set(record.entries);
      const outbox = previous.outbox.filter((stored) => !gone.has(stored.entry.id));
      if (previous.deleted && outbox.length === 0) return undefined;
      return { ...previous, outbox };
    }
  }
}

function toEntryRecord(entry: OutboxEntry, seq: number): EntryRecord {
  return {
    id: entry.id,
    topic: entry.topic,
    key: entry.key,
    value: Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength).toString('base64'),
    headers: { ...entry.headers },
    seq,
  };
}

function fromEntryRecord(record: EntryRecord): StoredEntry {
  return {
    seq: record.seq,
    entry: {
      id: record.id,
      topic: record.topic,
      key: record.key,
      value: new Uint8Array(Buffer.from(record.value, 'base64')),
      headers: record.headers,
    },
  };
}

function isJournalRecord(value: unknown): value is JournalRecord {
  const r = value as Partial<Record<string, unknown>>;
  return typeof r.id === 'string' && (r.op === 'put' || r.op === 'remove' || r.op === 'relayed');
}

async function openStore(context: {
  dir: string;
  log: Logger;
  fsync: boolean;
  defaultTimeoutMs: number;
  compactAfterLines: number;
  sweepIntervalMs: number;
  lock: DirLock;
}): Promise<DocumentStore> {
  const { dir, log, fsync, defaultTimeoutMs, compactAfterLines, sweepIntervalMs, lock } = context;
  const collections = new Map<string, CollectionState>();
  const listeners = new Set<() => void>();
  let nextSeq = 1;
  let closed = false;

  const newState = (name: string): CollectionState => ({
    name,
    docs: new Map(),
    indexes: new Map(),
    pending: new Set(),
    journal: undefined,
    queue: [],
    draining: false,
    flushing: Promise.resolve(),
  });

  // ---- open: replay every journal, so the relay sees collections nobody has opened yet ----
  try {
    for (const file of (await readdir(dir)).sort()) {
      if (file.endsWith('.jsonl.tmp')) {
        await rm(join(dir, file), { force: true }); // an interrupted compaction; the journal is intact
        continue;
      }
      if (!file.endsWith('.jsonl')) continue;
      const name = file.slice(0, -'.jsonl'.length);
      try {
        validateCollectionName(name);
      } catch {
        log.warn('ignoring a file that is not a collection journal', { file });
        continue;
      }
      const state = newState(name);
      const { journal, records } = await openJournal(join(dir, file), { fsync, log });
      state.journal = journal;
      collections.set(name, state);
      for (const [i, record] of records.entries()) {
        if (!isJournalRecord(record)) {
          throw new AppError('data_loss', `journal ${file}: line ${i + 1} is not a store record`);
        }
        setDoc(state, record.id, applyRecord(state.docs.get(record.id), record));
        if (record.op === 'put')
          for (const added of record.add ?? []) nextSeq = Math.max(nextSeq, added.seq + 1);
      }
    }
  } catch (error) {
    for (const state of collections.values()) await state.journal?.close().catch(() => {});
    throw error;
  }
  log.debug('embedded store open', { dir, collections: collections.size });

  function setDoc(state: CollectionState, id: string, doc: StoredDoc | undefined): void {
    const before = state.docs.get(id);
    for (const [field, index] of state.indexes) {
      if (before && !before.deleted) for (const key of keysOf(before, field)) index.get(key)?.delete(id);
      if (doc && !doc.deleted) {
        for (const key of keysOf(doc, field)) addToIndex(index, key, id);
      }
    }
    if (doc) state.docs.set(id, doc);
    else state.docs.delete(id);
    if (doc && doc.outbox.length > 0) state.pending.add(id);
    else state.pending.delete(id);
  }

  function keysOf(doc: StoredDoc, field: string): string[] {
    return indexKeys((doc.data as Record<string, unknown> | null)?.[field]);
  }

  function addToIndex(index: Map<string, Set<string>>, key: string, id: string): void {
    const ids = index.get(key);
    if (ids) ids.add(id);
    else index.set(key, new Set([id]));
  }

  function ensureIndex(state: CollectionState, field: string): void {
    if (state.indexes.has(field)) return;
    const index = new Map<string, Set<string>>();
    for (const [id, doc] of state.docs) {
      if (doc.deleted) continue;
      for (const key of keysOf(doc, field)) addToIndex(index, key, id);
    }
    state.indexes.set(field, index);
  }

  /** Neither deleted nor expired: what reads see. */
  function isLive(doc: StoredDoc | undefined): doc is StoredDoc {
    return doc !== undefined && !doc.deleted && !(doc.expiresAt !== undefined && doc.expiresAt <= Date.now());
  }

  /** Removes expired documents (ones still holding outbox entries stay, invisible, until relayed). */
  async function sweep(): Promise<void> {
    const removals: Promise<unknown>[] = [];
    const now = Date.now();
    for (const state of collections.values()) {
      for (const [id, doc] of state.docs) {
        if (doc.expiresAt === undefined || doc.expiresAt > now || doc.outbox.length > 0) continue;
        const remove = (current: StoredDoc | undefined): Plan =>
          // Rewritten since the scan: the newer write decides.
          current?.expiresAt !== undefined && current.expiresAt <= Date.now() && current.outbox.length === 0
            ? { record: { op: 'remove', id }, result: undefined }
            : { result: undefined };
        removals.push(Promise.resolve().then(() => enqueue(state, id, remove, undefined)));
      }
    }
    const results = await Promise.allSettled(removals);
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) log.warn('sweeping expired documents failed; the next sweep retries', { failed });
    else if (removals.length > 0) log.debug('swept expired documents', { removed: removals.length });
  }

  let sweeping: Promise<void> = Promise.resolve();
  const sweeper = setInterval(() => {
    if (closed) return;
    sweeping = sweeping.then(sweep).catch((error: unknown) => {
      log.warn('sweeping expired documents failed', { error: (error as Error).message });
    });
  }, sweepIntervalMs);
  sweeper.unref();

  function assertOpen(): void {
    if (closed) throw new AppError('failed_precondition', `embedded store ${dir} is closed`);
  }

  function stateOf(name: string): CollectionState {
    const existing = collections.get(name);
    if (existing) return existing;
    const state = newState(name);
    collections.set(name, state);
    return state;
  }

  // ---- writes: queued per collection, applied in order, committed in groups ----

  function enqueue<R>(
    state: CollectionState,
    id: string,
    plan: (current: StoredDoc | undefined) => Plan,
    options: CallOptions | undefined,
  ): Promise<R> {
    assertOpen();
    return withDeadline(options, defaultTimeoutMs, (signal) => {
      return new Promise<R>((resolvePromise, rejectPromise) => {
        const op: WriteOp = {
          id,
          plan,
          started: false,
          settled: false,
          resolve: (value) => {
            op.settled = true;
            resolvePromise(value as R);
          },
          reject: (error) => {
            op.settled = true;
            rejectPromise(error);
          },
        };
        // Not yet started: drop it, so a write that timed out in the queue never happens.
        signal.addEventListener('abort', () => {
          if (!op.started && !op.settled) op.settled = true;
        });
        state.queue.push(op);
        if (!state.draining) {
          state.draining = true;
          state.flushing = flush(state);
        }
      });
    });
  }

  async function flush(state: CollectionState): Promise<void> {
    for (;;) {
      if (state.queue.length === 0) {
        state.draining = false;
        return;
      }
      const batch = state.queue.splice(0);
      const overlay = new Map<string, StoredDoc | undefined>();
      const current = (id: string): StoredDoc | undefined =>
        overlay.has(id) ? overlay.get(id) : state.docs.get(id);
      const accepted: { op: WriteOp; result: unknown }[] = [];
      const records: JournalRecord[] = [];
      let addedOutbox = false;
      for (const op of batch) {
        if (op.settled) continue;
        op.started = true;
        try {
          const { record, result } = op.plan(current(op.id));
          if (record) {
            overlay.set(op.id, applyRecord(current(op.id), record));
            records.push(record);
            if (record.op === 'put' && record.add?.length) addedOutbox = true;
          }
          accepted.push({ op, result });
        } catch (error) {
          op.reject(error);
        }
      }
      if (records.length > 0) {
        try {
          state.journal ??= (await openJournal(join(dir, `${state.name}.jsonl`), { fsync, log })).journal;
          await state.journal.append(records);
        } catch (error) {
          const failure = AppError.from(error);
          for (const { op } of accepted) op.reject(failure);
          continue;
        }
        for (const [id, doc] of overlay) setDoc(state, id, doc);
      }
      for (const { op, result } of accepted) op.resolve(result);
      if (addedOutbox) notify();
      await maybeCompact(state);
    }
  }

  async function maybeCompact(state: CollectionState): Promise<void> {
    const journal = state.journal;
    if (!journal || journal.lines < compactAfterLines || journal.lines < 2 * state.docs.size) return;
    const snapshot = function* (): Iterable<JournalRecord> {
      for (const [id, doc] of state.docs) {
        yield {
          op: 'put',
          id,
          v: doc.version,
          data: doc.data,
          ...(doc.outbox.length ? { add: doc.outbox.map((s) => toEntryRecord(s.entry, s.seq)) } : {}),
          ...(doc.deleted ? { deleted: true as const } : {}),
          ...(doc.expiresAt === undefined ? {} : { exp: doc.expiresAt }),
        };
      }
    };
    try {
      const before = journal.lines;
      await journal.rewrite(snapshot());
      log.debug('compacted a journal', {
        collection: state.name,
        linesBefore: before,
        linesAfter: journal.lines,
      });
    } catch (error) {
      log.warn('journal compaction failed; the journal stays as it was', {
        collection: state.name,
        error: (error as Error).message,
      });
    }
  }

  function notify(): void {
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        log.warn('an onOutboxWrite listener threw', { error: (error as Error).message });
      }
    }
  }

  function toDoc<T>(id: string, doc: StoredDoc): Doc<T> {
    return { id, version: doc.version, data: cloneJson(doc.data) as T };
  }

  function newEntries(outbox: readonly OutboxEntry[]): EntryRecord[] {
    return outbox.map((entry) => toEntryRecord(entry, nextSeq++));
  }

  function versionConflict(name: string, id: string, actual: number, expected: number): AppError {
    return new AppError(
      'aborted',
      `${name}/${id} is at version ${actual}, not the expected ${expected}; re-read and retry`,
      {
        details: { expectedVersion: String(expected), actualVersion: String(actual) },
      },
    );
  }

  function makeCollection<T extends object>(name: string, fields: readonly string[]): Collection<T> {
    /** The plan of a `put` of `copy` (already validated) at `expected` (undefined: any version). */
    function putPlan(
      id: string,
      copy: T,
      expected: number | undefined,
      outbox: readonly OutboxEntry[],
      exp: number | undefined,
    ): (current: StoredDoc | undefined) => Plan {
      return (current: StoredDoc | undefined): Plan => {
        const live = isLive(current) ? current : undefined;
        let version: number;
        if (expected === 0) {
          if (live)
            throw new AppError('already_exists', `${name}/${id} already exists (version ${live.version})`);
          version = 1;
        } else if (expected !== undefined) {
          if (!live)
            throw new AppError('not_found', `${name}/${id} does not exist (expected version ${expected})`);
          if (live.version !== expected) throw versionConflict(name, id, live.version, expected);
          version = expected + 1;
        } else {
          version = live ? live.version + 1 : 1;
        }
        const add = newEntries(outbox);
        return {
          record: {
            op: 'put',
            id,
            v: version,
            data: copy,
            ...(add.length ? { add } : {}),
            ...(exp === undefined ? {} : { exp }),
          },
          result: { id, version, data: cloneJson(copy) as T },
        };
      };
    }

    return {
      name,

      async get(id, options) {
        assertOpen();
        throwIfAborted(options?.signal);
        validateDocId(id);
        const doc = collections.get(name)?.docs.get(id);
        return isLive(doc) ? toDoc<T>(id, doc) : undefined;
      },

      async getMany(ids, options) {
        assertOpen();
        throwIfAborted(options?.signal);
        const docs = collections.get(name)?.docs;
        return validateIds(ids).map((id) => {
          const doc = docs?.get(id);
          return isLive(doc) ? toDoc<T>(id, doc) : undefined;
        });
      },

      putMany(writes: readonly VersionedWrite<T>[], options?: CallOptions): Promise<(Doc<T> | AppError)[]> {
        return Promise.resolve().then(async () => {
          const checked = validateWrites(writes);
          for (const [i, write] of checked.entries()) {
            if (JSON.stringify(write.data).length > maxDocumentBytes) {
              throw AppError.invalidArgument(`writes[${i}].data`, 'the document exceeds 16 MiB');
            }
          }
          // Enqueued together: the group commit writes them in one or two journal appends.
          const settled = await Promise.allSettled(
            checked.map((write) =>
              enqueue<Doc<T>>(
                stateOf(name),
                write.id,
                putPlan(write.id, write.data, write.expectedVersion, [], undefined),
                options,
              ),
            ),
          );
          return settled.map((outcome) => {
            if (outcome.status === 'fulfilled') return outcome.value;
            const error = AppError.from(outcome.reason);
            if (['already_exists', 'aborted', 'not_found'].includes(error.code)) return error;
            throw error;
          });
        });
      },

      put(id: string, data: T, options?: PutOptions): Promise<Doc<T>> {
        return Promise.resolve().then(() => {
          validateDocId(id);
          const copy = validateData(data);
          if (JSON.stringify(copy).length > maxDocumentBytes) {
            throw AppError.invalidArgument('data', 'the document exceeds 16 MiB');
          }
          const expected = validateExpectedVersion(options);
          const outbox = validateOutbox(options?.outbox);
          const exp = validateExpiresAt(options);
          return enqueue<Doc<T>>(stateOf(name), id, putPlan(id, copy, expected, outbox, exp), options);
        });
      },

      delete(id: string, options?: DeleteOptions): Promise<boolean> {
        return Promise.resolve().then(() => {
          validateDocId(id);
          const expected = validateExpectedVersion(options);
          if (expected === 0) throw AppError.invalidArgument('expectedVersion', 'must be ≥ 1 for a delete');
          const outbox = validateOutbox(options?.outbox);
          return enqueue<boolean>(
            stateOf(name),
            id,
            (current) => {
              if (!isLive(current)) return { result: false };
              if (expected !== undefined && current.version !== expected) {
                throw versionConflict(name, id, current.version, expected);
              }
              if (outbox.length === 0 && current.outbox.length === 0)
                return { record: { op: 'remove', id }, result: true };
              // Pending events (older ones, or this deletion's) outlive the document in a tombstone.
              const add = newEntries(outbox);
              return {
                record: {
                  op: 'put',
                  id,
                  v: current.version + 1,
                  data: null,
                  deleted: true,
                  ...(add.length ? { add } : {}),
                },
                result: true,
              };
            },
            options,
          );
        });
      },

      async find(filter: Readonly<Record<string, FieldCondition>>, options: FindOptions = {}) {
        assertOpen();
        throwIfAborted(options.signal);
        const query = validateFind(filter, options, fields);
        const state = collections.get(name);
        if (!state) return [];
        for (const field of fields) ensureIndex(state, field);
        let candidates: Iterable<string> = state.docs.keys();
        let smallest = Number.POSITIVE_INFINITY;
        for (const [field, value] of query.filter) {
          const ids = state.indexes.get(field)?.get(scalarKey(value)) ?? new Set<string>();
          if (ids.size < smallest) {
            smallest = ids.size;
            candidates = ids;
          }
        }
        const direction = query.descending ? -1 : 1;
        const sortBy = query.sortBy;
        const field = (doc: StoredDoc): unknown =>
          sortBy === undefined ? undefined : (doc.data as Record<string, unknown>)[sortBy];
        const order = (idA: string, a: unknown, idB: string, b: unknown): number => {
          const byField = sortBy === undefined ? 0 : compareValues(a, b);
          return direction * (byField !== 0 ? byField : compareCodePoints(idA, idB));
        };
        const after = query.after;
        // A bounded top-`limit` selection over the candidates: memory and copying stay at one
        // page whatever the collection holds (the documents are in memory already; an ordered
        // index per field would save the in-memory scan, not worth its upkeep on every write).
        const matches: [string, StoredDoc][] = [];
        for (const id of candidates) {
          const doc = state.docs.get(id);
          if (!isLive(doc)) continue;
          const data = doc.data as Record<string, unknown>;
          if (!query.filter.every(([f, value]) => indexKeys(data[f]).includes(scalarKey(value)))) continue;
          if (
            !query.memberships.every(([f, values]) => {
              const keys = indexKeys(data[f]);
              return values.some((value) => keys.includes(scalarKey(value)));
            })
          )
            continue;
          if (!query.ranges.every(([f, bounds]) => bounds.every(([op, b]) => meetsBound(data[f], op, b))))
            continue;
          if (!query.idRange.every(([op, b]) => meetsBound(id, op, b))) continue;
          if (after && order(id, field(doc), after.id, after.value ?? undefined) <= 0) continue;
          const full = matches.length >= query.limit;
          const [lastId, lastDoc] = matches.at(-1) ?? [];
          if (full && order(id, field(doc), lastId!, field(lastDoc!)) >= 0) continue;
          let low = 0;
          let high = matches.length;
          while (low < high) {
            const mid = (low + high) >>> 1;
            const [midId, midDoc] = matches[mid]!;
            if (order(midId, field(midDoc), id, field(doc)) < 0) low = mid + 1;
            else high = mid;
          }
          matches.splice(low, 0, [id, doc]);
          if (matches.length > query.limit) matches.pop();
        }
        return matches.slice(0, query.limit).map(([id, doc]) => toDoc<T>(id, doc));
      },
    };
  }

  return {
    collection<T extends object>(name: string, options: { indexes?: readonly string[] } = {}): Collection<T> {
      assertOpen();
      validateCollectionName(name);
      const fields = validateIndexes(options.indexes);
      const state = stateOf(name);
      for (const field of fields) ensureIndex(state, field);
      return makeCollection<T>(name, fields);
    },

    async pendingOutbox(options = {}) {
      assertOpen();
      throwIfAborted(options.signal);
      const limit = validatePendingLimit(options.limit);
      const found: (PendingOutboxEntry & { seq: number })[] = [];
      for (const state of collections.values()) {
        for (const docId of state.pending) {
          for (const { entry, seq } of state.docs.get(docId)?.outbox ?? []) {
            found.push({
              collection: state.name,
              docId,
              entry: { ...entry, value: new Uint8Array(entry.value), headers: { ...entry.headers } },
              seq,
            });
          }
        }
      }
      found.sort((a, b) => a.seq - b.seq);
      return found.slice(0, limit).map(({ collection, docId, entry }) => ({ collection, docId, entry }));
    },

    async markRelayed(items: readonly RelayedEntry[], options?: CallOptions) {
      assertOpen();
      const byCollection = validateRelayed(items);
      const writes: Promise<unknown>[] = [];
      for (const [name, docs] of byCollection) {
        const state = collections.get(name);
        if (!state) continue;
        for (const [docId, entryIds] of docs) {
          writes.push(
            enqueue(
              state,
              docId,
              (current) => {
                const ids =
                  current?.outbox.filter((s) => entryIds.has(s.entry.id)).map((s) => s.entry.id) ?? [];
                return ids.length
                  ? { record: { op: 'relayed', id: docId, entries: ids }, result: undefined }
                  : { result: undefined };
              },
              options,
            ),
          );
        }
      }
      await Promise.all(writes);
    },

    onOutboxWrite(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      listeners.clear();
      await sweeping;
      for (const state of collections.values()) await state.flushing.catch(() => {});
      for (const state of collections.values()) {
        await state.journal?.close().catch((error: unknown) => {
          log.warn('closing a journal failed', { collection: state.name, error: (error as Error).message });
        });
      }
      await lock.release();
      log.debug('embedded store closed', { dir });
    },
  };
}
