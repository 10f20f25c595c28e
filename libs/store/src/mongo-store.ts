import { randomUUID } from 'node:crypto';
import { AppError, type CallOptions, type Logger, silentLogger } from '@flywheel/core';
import {
  Binary,
  BSON,
  MongoBulkWriteError,
  MongoClient,
  type Collection as MongoCollection,
  MongoServerError,
} from 'mongodb';
import { withDeadline } from './call-deadline.ts';
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
} from './document-store.ts';
import { duplicateKey, fromMongoError } from './mongo-errors.ts';
import { mongoFindConditions } from './mongo-find-query.ts';
import {
  maxDocumentBytes,
  renamed,
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

export interface MongoStoreOptions {
  /** `mongodb://…` or `mongodb+srv://…`. */
  url: string;
  /** The service's own database. */
  database: string;
  log?: Logger;
  /** Deadline of a call when the caller gives none, ms. Default 5000. */
  defaultTimeoutMs?: number;
  /**
   * How long a call waits for a reachable server before failing `unavailable`, ms. Default 2000
   * (kept below the call deadline, so an unreachable server reads as `unavailable`).
   */
  serverSelectionTimeoutMs?: number;
  /** Shown in the server's logs and `currentOp`. Default `flywheel`. */
  appName?: string;
  /**
   * How often this store deletes the expired documents of the collections it wrote expiring
   * documents to, ms. Default 60 000. (MongoDB's TTL monitor does it too; mongo-java-server has no
   * TTL monitor, so without the sweep nothing would ever be removed there.)
   */
  sweepIntervalMs?: number;
}

interface StoredEntry {
  id: string;
  topic: string;
  key: string;
  value: Binary | Uint8Array;
  headers: Record<string, string>;
  /** Written at, ms since the epoch; with `seq`, the relay order. */
  at: number;
  seq: number;
}

/** A document as MongoDB holds it. */
interface StoredDoc {
  _id: string;
  v: number;
  data: object | null;
  outbox?: StoredEntry[];
  /** Set while `outbox` is not empty: when its oldest entry was written (indexed, for the relay). */
  outboxAt?: number;
  /** A deleted document whose outbox is not relayed yet: invisible, removed once relayed. */
  deleted?: true;
  /** Token of the putMany batch that last wrote it (how a batch tells which updates matched). */
  w?: string;
  /** From then on the document reads as absent; the TTL index (`expiresAt_ttl`) and the sweep remove it. */
  expiresAt?: Date;
}

const databaseNamePattern = /^[^/\\. "$*<>:|?\0]{1,63}$/;
const maxRevisionAttempts = 5;

/**
 * The MongoDB document store. A document is `{ _id, v, data, outbox, outboxAt }`: a create is an
 * `insertOne` (duplicate key → `already_exists`), a versioned write one
 * `findOneAndUpdate({ _id, v })` whose miss is `aborted`; outbox entries are `$push`ed in that same
 * single-document update, so the state change and its events commit together without
 * multi-document transactions (which mongo-java-server, like a standalone MongoDB, lacks). Declared
 * fields are indexed as `data.<field>`; pending outboxes through the sparse `outboxAt` index.
 *
 * A write with `expiresAt` sets the `expiresAt` Date field (without: unsets it). Reads filter
 * expired documents out at once; removing them is left to a TTL index on `expiresAt` (honoured by
 * MongoDB within about a minute) and to this store's own sweep every `sweepIntervalMs`, because
 * mongo-java-server accepts TTL indexes but never expires anything.
 *
 * Connects lazily, on the first call; the driver reconnects after a lost connection. Every call
 * has a deadline (the driver's `timeoutMS`, and a race against the caller's signal). A server
 * that cannot be reached fails the call `unavailable` (retriable).
 */
export function createMongoStore(options: MongoStoreOptions): DocumentStore {
  const log = options.log ?? silentLogger;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
  if (!databaseNamePattern.test(options.database)) {
    throw AppError.invalidArgument('database', `"${options.database}" is not a MongoDB database name`);
  }
  if (!/^mongodb(\+srv)?:\/\//.test(options.url)) {
    throw AppError.invalidArgument('url', 'must start with mongodb:// or mongodb+srv://');
  }
  let client: MongoClient;
  try {
    client = new MongoClient(options.url, {
      appName: options.appName ?? 'flywheel',
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? Math.min(2000, defaultTimeoutMs),
      connectTimeoutMS: Math.min(10_000, defaultTimeoutMs),
      ignoreUndefined: true,
    });
  } catch (error) {
    throw AppError.invalidArgument('url', `is not a usable MongoDB URL: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const db = client.db(options.database);
  const listeners = new Set<() => void>();
  const indexesReady = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  let seq = 0;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  /** Collections this store wrote expiring documents to: what the sweep looks at. */
  const expiring = new Set<string>();
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> = Promise.resolve();

  const coll = (name: string): MongoCollection<StoredDoc> => db.collection<StoredDoc>(name);

  /** Runs one store call under its deadline; `budget()` is the time left, for each driver call. */
  function call<R>(
    what: string,
    callOptions: CallOptions | undefined,
    run: (budget: () => number, signal: AbortSignal) => Promise<R>,
  ): Promise<R> {
    if (closed) return Promise.reject(new AppError('failed_precondition', 'mongo store is closed'));
    const promise = withDeadline(callOptions, defaultTimeoutMs, async (signal, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      const budget = (): number => Math.max(1, deadline - Date.now());
      try {
        return await run(budget, signal);
      } catch (error) {
        throw fromMongoError(error, what);
      }
    });
    inFlight.add(promise);
    const forget = (): void => {
      inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** Creates the collection's indexes once per store (again after a failure). */
  function ensureIndexes(name: string, fields: readonly string[], budget: () => number): Promise<void> {
    const key = `${name}\0${[...fields].sort().join(',')}`;
    let ready = indexesReady.get(key);
    if (!ready) {
      ready = coll(name)
        .createIndexes(
          [
            { key: { outboxAt: 1 }, name: 'outboxAt_1', sparse: true },
            { key: { expiresAt: 1 }, name: 'expiresAt_ttl', sparse: true, expireAfterSeconds: 0 },
            // Field then id: the sort of a `find` by that field, so a keyset page is an index range.
            ...fields.map((field) => ({
              key: { [`data.${field}`]: 1, _id: 1 },
              name: `data.${field}_1__id_1`,
            })),
          ],
          { timeoutMS: budget() },
        )
        .then(
          () => {
            log.debug('mongo store indexes ready', { collection: name, fields });
          },
          (error: unknown) => {
            indexesReady.delete(key);
            throw error;
          },
        );
      indexesReady.set(key, ready);
    }
    return ready;
  }

  function storedEntries(entries: readonly OutboxEntry[]): { stored: StoredEntry[]; at: number } {
    const at = Date.now();
    return {
      at,
      stored: entries.map((entry) => ({
        id: entry.id,
        topic: entry.topic,
        key: entry.key,
        value: new Binary(entry.value),
        headers: { ...entry.headers },
        at,
        seq: seq++,
      })),
    };
  }

  function outboxUpdate(entries: readonly OutboxEntry[]): {
    $push?: { outbox: { $each: StoredEntry[] } };
    $min?: { outboxAt: number };
  } {
    if (entries.length === 0) return {};
    const { stored, at } = storedEntries(entries);
    return { $push: { outbox: { $each: stored } }, $min: { outboxAt: at } };
  }

  /** Rejects what the server would refuse as too large (the driver fails with a bare RangeError). */
  function checkSize(data: object | null, outbox: readonly OutboxEntry[]): void {
    const bytes = BSON.calculateObjectSize({
      data,
      outbox: outbox.map((e) => ({ ...e, value: new Binary(e.value) })),
    });
    if (bytes > maxDocumentBytes - 16 * 1024)
      throw AppError.invalidArgument('data', 'the document exceeds 16 MiB');
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

  function isDuplicateKey(error: unknown): boolean {
    return error instanceof MongoServerError && error.code === duplicateKey;
  }

  /** Matches documents reads may see: not a tombstone, not expired. */
  function liveFilter(): { deleted: { $exists: false }; $or: object[] } {
    return {
      deleted: { $exists: false },
      $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date() } }],
    };
  }

  function isGone(doc: Pick<StoredDoc, 'deleted' | 'expiresAt'> | null): boolean {
    return (
      !doc || doc.deleted === true || (doc.expiresAt !== undefined && doc.expiresAt.getTime() <= Date.now())
    );
  }

  /** `$set`/`$unset` of the expiry a write gives the document. */
  function expiryUpdate(exp: number | undefined): { set: { expiresAt?: Date }; unset: { expiresAt?: '' } } {
    return exp === undefined
      ? { set: {}, unset: { expiresAt: '' } }
      : { set: { expiresAt: new Date(exp) }, unset: {} };
  }

  /** Deletes what has expired in the collections written with `expiresAt` (not while events are pending). */
  async function sweep(): Promise<void> {
    for (const name of expiring) {
      if (closed) return;
      try {
        const { deletedCount } = await coll(name).deleteMany(
          { expiresAt: { $lte: new Date() }, outboxAt: { $exists: false } },
          { timeoutMS: defaultTimeoutMs },
        );
        if (deletedCount > 0)
          log.debug('swept expired documents', { collection: name, removed: deletedCount });
      } catch (error) {
        log.warn('sweeping expired documents failed; the next sweep retries', {
          collection: name,
          error: AppError.from(error).message,
        });
      }
    }
  }

  function noteExpiring(name: string): void {
    expiring.add(name);
    if (sweeper || closed) return;
    sweeper = setInterval(() => {
      sweeping = sweeping.then(sweep);
    }, sweepIntervalMs);
    sweeper.unref();
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
    const c = coll(name);

    /**
     * Turns a tombstone (deleted, outbox pending) or an expired document not swept yet back into a
     * live document at version 1.
     */
    async function revive(
      id: string,
      data: object,
      outbox: readonly OutboxEntry[],
      exp: number | undefined,
      budget: () => number,
    ): Promise<boolean> {
      const expiry = expiryUpdate(exp);
      const revived = await c.findOneAndUpdate(
        { _id: id, $or: [{ deleted: true }, { expiresAt: { $lte: new Date() } }] },
        {
          $set: { v: 1, data, ...expiry.set },
          $unset: { deleted: '', ...expiry.unset },
          ...outboxUpdate(outbox),
        },
        { returnDocument: 'after', projection: { _id: 1 }, timeoutMS: budget() },
      );
      return revived !== null;
    }

    const collection: Collection<T> = {
      name,

      get(id, callOptions) {
        return call('get', callOptions, async (budget, signal) => {
          validateDocId(id);
          const raw = await c.findOne(
            { _id: id },
            { projection: { v: 1, data: 1, deleted: 1, expiresAt: 1 }, timeoutMS: budget(), signal },
          );
          return raw && !isGone(raw) ? { id, version: raw.v, data: raw.data as T } : undefined;
        });
      },

      getMany(ids, callOptions) {
        return call('getMany', callOptions, async (budget, signal) => {
          validateIds(ids);
          if (ids.length === 0) return [];
          const raws = await c
            .find(
              { _id: { $in: [...ids] } },
              { projection: { v: 1, data: 1, deleted: 1, expiresAt: 1 }, timeoutMS: budget(), signal },
            )
            .toArray();
          const found = new Map(raws.filter((raw) => !isGone(raw)).map((raw) => [raw._id, raw]));
          return ids.map((id) => {
            const raw = found.get(id);
            return raw ? { id, version: raw.v, data: raw.data as T } : undefined;
          });
        });
      },

      putMany(writes, callOptions) {
        return call('putMany', callOptions, async (budget) => {
          const checked = validateWrites(writes);
          for (const [i, write] of checked.entries())
            renamed(`writes[${i}]`, () => checkSize(write.data, []));
          if (checked.length === 0) return [];
          await ensureIndexes(name, fields, budget);
          // A create is an insertOne, a versioned write an updateOne on { _id, v } stamped with
          // this batch's token `w`: bulkWrite reports duplicate keys per write but only a total of
          // matches, so when updates fall short the token tells which ones landed.
          const token = randomUUID();
          const operations = checked.map((write) =>
            write.expectedVersion === 0
              ? { insertOne: { document: { _id: write.id, v: 1, data: write.data } } }
              : {
                  updateOne: {
                    filter: { _id: write.id, v: write.expectedVersion, ...liveFilter() },
                    update: {
                      $set: { v: write.expectedVersion + 1, data: write.data, w: token },
                      $unset: { expiresAt: '' as const },
                    },
                  },
                },
          );
          const failed = new Set<number>();
          let matched: number;
          try {
            matched = (await c.bulkWrite(operations, { ordered: false, timeoutMS: budget() })).matchedCount;
          } catch (error) {
            if (!(error instanceof MongoBulkWriteError)) throw error;
            const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
            for (const writeError of writeErrors) {
              if (writeError.code !== duplicateKey) throw fromMongoError(writeError, 'putMany');
              failed.add(writeError.index);
            }
            matched = error.result.matchedCount;
          }
          const updates = checked.filter((write) => write.expectedVersion !== 0);
          if (matched < updates.length) {
            const landed = new Set(
              (
                await c
                  .find(
                    { _id: { $in: updates.map((write) => write.id) }, w: token },
                    { projection: { _id: 1 }, timeoutMS: budget() },
                  )
                  .toArray()
              ).map((raw) => raw._id),
            );
            for (const [i, write] of checked.entries())
              if (write.expectedVersion !== 0 && !landed.has(write.id)) failed.add(i);
          }
          // What the batch could not write goes through `put`, which revives a tombstone or an
          // expired document in the way of a create, and names each conflict exactly.
          return Promise.all(
            checked.map(async (write, i): Promise<Doc<T> | AppError> => {
              if (!failed.has(i)) {
                return { id: write.id, version: write.expectedVersion + 1, data: write.data };
              }
              try {
                return await collection.put(write.id, write.data, {
                  ...callOptions,
                  expectedVersion: write.expectedVersion,
                });
              } catch (error) {
                const cause = AppError.from(error);
                if (['already_exists', 'aborted', 'not_found'].includes(cause.code)) return cause;
                throw cause;
              }
            }),
          );
        });
      },

      put(id: string, data: T, putOptions?: PutOptions): Promise<Doc<T>> {
        return call('put', putOptions, async (budget) => {
          validateDocId(id);
          const copy = validateData(data);
          const expected = validateExpectedVersion(putOptions);
          const outbox = validateOutbox(putOptions?.outbox);
          const exp = validateExpiresAt(putOptions);
          checkSize(copy, outbox);
          await ensureIndexes(name, fields, budget);
          if (exp !== undefined) noteExpiring(name);
          const expiry = expiryUpdate(exp);
          const $unset = Object.keys(expiry.unset).length ? { $unset: expiry.unset } : {};
          const done = (version: number): Doc<T> => {
            if (outbox.length) notify();
            return { id, version, data: copy };
          };

          if (expected === 0) {
            const { stored, at } = storedEntries(outbox);
            try {
              await c.insertOne(
                {
                  _id: id,
                  v: 1,
                  data: copy,
                  ...(stored.length ? { outbox: stored, outboxAt: at } : {}),
                  ...expiry.set,
                },
                { timeoutMS: budget() },
              );
              return done(1);
            } catch (error) {
              if (!isDuplicateKey(error)) throw error;
            }
            if (await revive(id, copy, outbox, exp, budget)) return done(1);
            throw new AppError('already_exists', `${name}/${id} already exists`);
          }

          if (expected !== undefined) {
            const updated = await c.findOneAndUpdate(
              { _id: id, v: expected, ...liveFilter() },
              { $set: { v: expected + 1, data: copy, ...expiry.set }, ...$unset, ...outboxUpdate(outbox) },
              { returnDocument: 'after', projection: { _id: 1 }, timeoutMS: budget() },
            );
            if (updated) return done(expected + 1);
            const current = await c.findOne(
              { _id: id },
              { projection: { v: 1, deleted: 1, expiresAt: 1 }, timeoutMS: budget() },
            );
            if (!current || isGone(current)) {
              throw new AppError('not_found', `${name}/${id} does not exist (expected version ${expected})`);
            }
            if (current.v === expected)
              throw new AppError('aborted', `${name}/${id} changed during the write; retry`);
            throw versionConflict(name, id, current.v, expected);
          }

          for (let attempt = 0; attempt < maxRevisionAttempts; attempt++) {
            try {
              const updated = await c.findOneAndUpdate(
                { _id: id, ...liveFilter() },
                { $set: { data: copy, ...expiry.set }, ...$unset, $inc: { v: 1 }, ...outboxUpdate(outbox) },
                { upsert: true, returnDocument: 'after', projection: { v: 1 }, timeoutMS: budget() },
              );
              if (updated) return done(updated.v);
            } catch (error) {
              // A racing insert of the same id, or a tombstone or expired document in the way of the upsert.
              if (!isDuplicateKey(error)) throw error;
            }
            if (await revive(id, copy, outbox, exp, budget)) return done(1);
          }
          throw new AppError('aborted', `${name}/${id}: too many concurrent writers; retry`);
        });
      },

      delete(id: string, deleteOptions?: DeleteOptions): Promise<boolean> {
        return call('delete', deleteOptions, async (budget) => {
          validateDocId(id);
          const expected = validateExpectedVersion(deleteOptions);
          if (expected === 0) throw AppError.invalidArgument('expectedVersion', 'must be ≥ 1 for a delete');
          const outbox = validateOutbox(deleteOptions?.outbox);
          checkSize(null, outbox);
          await ensureIndexes(name, fields, budget);
          const live = {
            _id: id,
            ...liveFilter(),
            ...(expected === undefined ? {} : { v: expected }),
          };
          for (let attempt = 0; attempt < maxRevisionAttempts; attempt++) {
            if (outbox.length === 0) {
              const removed = await c.deleteOne(
                { ...live, outboxAt: { $exists: false } },
                { timeoutMS: budget() },
              );
              if (removed.deletedCount === 1) return true;
            }
            // Pending events (older ones, or this deletion's) outlive the document in a tombstone.
            const tombstone = await c.findOneAndUpdate(
              live,
              {
                $set: { data: null, deleted: true },
                $unset: { expiresAt: '' },
                $inc: { v: 1 },
                ...outboxUpdate(outbox),
              },
              { returnDocument: 'after', projection: { outboxAt: 1 }, timeoutMS: budget() },
            );
            if (tombstone) {
              if (outbox.length) notify();
              // Relayed meanwhile: nothing left to keep it for.
              if (tombstone.outboxAt === undefined) {
                await c.deleteOne(
                  { _id: id, deleted: true, outboxAt: { $exists: false } },
                  { timeoutMS: budget() },
                );
              }
              return true;
            }
            const current = await c.findOne(
              { _id: id },
              { projection: { v: 1, deleted: 1, expiresAt: 1 }, timeoutMS: budget() },
            );
            if (!current || isGone(current)) return false;
            if (expected !== undefined && current.v !== expected)
              throw versionConflict(name, id, current.v, expected);
          }
          throw new AppError('aborted', `${name}/${id}: too many concurrent writers; retry`);
        });
      },

      find(filter: Readonly<Record<string, FieldCondition>>, findOptions: FindOptions = {}) {
        return call('find', findOptions, async (budget, signal) => {
          const query = validateFind(filter, findOptions, fields);
          await ensureIndexes(name, fields, budget);
          const direction = query.descending ? -1 : 1;
          const conditions = mongoFindConditions(query);
          const raws = await c
            .find(
              { ...liveFilter(), ...(conditions.length ? { $and: conditions } : {}) },
              {
                projection: { v: 1, data: 1 },
                sort:
                  query.sortBy === undefined
                    ? { _id: direction }
                    : { [`data.${query.sortBy}`]: direction, _id: direction },
                limit: query.limit,
                timeoutMS: budget(),
                signal,
              },
            )
            .toArray();
          return raws.map((raw) => ({ id: raw._id, version: raw.v, data: raw.data as T }));
        });
      },
    };
    return collection;
  }

  /** A document whose outbox emptied: drop its pending marker, or the tombstone itself. */
  async function tidy(name: string, id: string, deleted: boolean, budget: () => number): Promise<void> {
    const empty = { _id: id, 'outbox.0': { $exists: false } };
    if (deleted) await coll(name).deleteOne({ ...empty, deleted: true }, { timeoutMS: budget() });
    else await coll(name).updateOne(empty, { $unset: { outboxAt: '' } }, { timeoutMS: budget() });
  }

  function toOutboxEntry(stored: StoredEntry): OutboxEntry {
    const value =
      stored.value instanceof Binary ? stored.value.buffer.subarray(0, stored.value.position) : stored.value;
    return {
      id: stored.id,
      topic: stored.topic,
      key: stored.key,
      value: new Uint8Array(value),
      headers: { ...stored.headers },
    };
  }

  return {
    collection<T extends object>(
      name: string,
      collectionOptions: { indexes?: readonly string[] } = {},
    ): Collection<T> {
      if (closed) throw new AppError('failed_precondition', 'mongo store is closed');
      validateCollectionName(name);
      const fields = validateIndexes(collectionOptions.indexes);
      return makeCollection<T>(name, fields);
    },

    pendingOutbox(pendingOptions = {}) {
      return call('pendingOutbox', pendingOptions, async (budget, signal) => {
        const limit = validatePendingLimit(pendingOptions.limit);
        const names = (
          await db.listCollections({}, { nameOnly: true, timeoutMS: budget(), signal }).toArray()
        )
          .map((info) => info.name)
          .filter((name) => !name.startsWith('system.'));
        const found: (PendingOutboxEntry & { at: number; seq: number; position: number })[] = [];
        const drained: { name: string; doc: Pick<StoredDoc, '_id' | 'deleted'> }[] = [];
        await Promise.all(
          names.map(async (name) => {
            const docs = await coll(name)
              .find(
                { outboxAt: { $exists: true } },
                {
                  projection: { outbox: 1, deleted: 1 },
                  sort: { outboxAt: 1 },
                  limit,
                  timeoutMS: budget(),
                  signal,
                },
              )
              .toArray();
            for (const doc of docs) {
              if (!doc.outbox?.length) drained.push({ name, doc });
              // Entries of one document keep their array order even if writers' clocks disagree.
              let at = 0;
              for (const [position, stored] of (doc.outbox ?? []).entries()) {
                at = Math.max(at, stored.at);
                found.push({
                  collection: name,
                  docId: doc._id,
                  entry: toOutboxEntry(stored),
                  at,
                  seq: stored.seq,
                  position,
                });
              }
            }
          }),
        );
        // Left over by a markRelayed cut short between its two updates.
        await Promise.all(drained.map(({ name, doc }) => tidy(name, doc._id, doc.deleted === true, budget)));
        found.sort((a, b) => {
          if (a.at !== b.at) return a.at - b.at;
          if (a.collection === b.collection && a.docId === b.docId) return a.position - b.position;
          return a.seq - b.seq;
        });
        return found.slice(0, limit).map(({ collection, docId, entry }) => ({ collection, docId, entry }));
      });
    },

    markRelayed(items: readonly RelayedEntry[], relayOptions?: CallOptions) {
      return call('markRelayed', relayOptions, async (budget) => {
        const byCollection = validateRelayed(items);
        const updates: Promise<void>[] = [];
        for (const [name, docs] of byCollection) {
          for (const [docId, entryIds] of docs) {
            updates.push(
              (async () => {
                const ids = [...entryIds];
                const after = await coll(name).findOneAndUpdate(
                  { _id: docId, 'outbox.id': { $in: ids } },
                  { $pull: { outbox: { id: { $in: ids } } } },
                  {
                    returnDocument: 'after',
                    projection: { 'outbox.id': 1, deleted: 1 },
                    timeoutMS: budget(),
                  },
                );
                if (after && !after.outbox?.length) await tidy(name, docId, after.deleted === true, budget);
              })(),
            );
          }
        }
        await Promise.all(updates);
      });
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
      await Promise.allSettled([...inFlight]);
      await client.close();
    },
  };
}
