import type { AppError, CallOptions } from '@flywheel/core';

/** A stored document: its id, its version (1 on create, +1 per write) and its data. */
export interface Doc<T> {
  readonly id: string;
  readonly version: number;
  readonly data: T;
}

/** An event written atomically with a document, for the outbox relay to publish. */
export interface OutboxEntry {
  /** Unique id (the CloudEvent id); consumers dedupe by it. */
  readonly id: string;
  /** The encoded event, as the relay hands it to the bus (wire form: key, value, headers). */
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly topic: string;
}

/** An outbox entry not yet relayed, with the document that holds it. */
export interface PendingOutboxEntry {
  readonly collection: string;
  readonly docId: string;
  readonly entry: OutboxEntry;
}

/** Names an entry {@link DocumentStore.markRelayed} removes. */
export interface RelayedEntry {
  readonly collection: string;
  readonly docId: string;
  readonly entryId: string;
}

export interface PutOptions extends CallOptions {
  /**
   * Optimistic concurrency: `0` = the document must not exist yet (else `already_exists`);
   * `n` = the stored version must be `n` (else `aborted`, retriable after a re-read; `not_found`
   * when the document does not exist); undefined = last writer wins (creates when missing).
   */
  expectedVersion?: number;
  /**
   * Events that become visible to the relay in the same atomic write as the state change: a write
   * that fails (version check, deadline before the commit) leaves none of them behind.
   */
  outbox?: readonly OutboxEntry[];
  /**
   * The document expires at this time: from then on it reads as absent (get, find, delete and
   * versioned writes — a create starts again at version 1), and the store removes it later
   * (MongoDB: a TTL index plus a sweep; embedded: a periodic sweep). Each write sets its own
   * expiry: a write without `expiresAt` makes the document permanent again. Must be a valid
   * `Date`; not allowed together with `outbox` (the events would expire with it), else
   * `invalid_argument`.
   */
  expiresAt?: Date;
}

/**
 * Options of {@link Collection.delete}: `expectedVersion` `n` deletes only that version (else
 * `aborted`); `outbox` entries are kept (in an invisible tombstone) until relayed, so a deletion
 * can be announced atomically too.
 */
export type DeleteOptions = Omit<PutOptions, 'expiresAt'>;

/**
 * One write of {@link Collection.putMany}: `expectedVersion` as in {@link PutOptions} (`0` =
 * create), required — a batch is for read-modify-write of documents read just before.
 */
export interface VersionedWrite<T> {
  readonly id: string;
  readonly data: T;
  readonly expectedVersion: number;
}

/** Most ids of one {@link Collection.getMany} and writes of one {@link Collection.putMany}. */
export const maxBatchDocuments = 1000;

/** What `find` may compare with: JSON scalars. */
export type Scalar = string | number | boolean;

/**
 * A range on one indexed field: each bound given must hold. As in MongoDB, a bound only matches
 * values of its own type (`{ gt: 5 }` matches numbers above 5, never strings), so timestamps are
 * ranged as ISO 8601 strings or epoch numbers, whichever the documents hold. At least one bound.
 */
export interface RangeCondition {
  readonly gt?: Scalar;
  readonly gte?: Scalar;
  readonly lt?: Scalar;
  readonly lte?: Scalar;
}

/**
 * Membership: the field equals one of `in` (as equality does, an array field matches when one of
 * its elements does). An empty `in` matches nothing; at most 1000 values.
 */
export interface InCondition {
  readonly in: readonly Scalar[];
}

/** A `find` condition on a field: equality with a scalar, a {@link RangeCondition} or an {@link InCondition}. */
export type FieldCondition = Scalar | RangeCondition | InCondition;

/**
 * A keyset cursor: the sort position of the last document of the previous page. `value` is that
 * document's `sortBy` field (null when missing; leave it out when sorting by id), `id` its id
 * (any string: `''` sorts before every id).
 */
export interface FindCursor {
  readonly value?: Scalar | null;
  readonly id: string;
}

export interface FindOptions extends CallOptions {
  /** At most this many, 1…10 000. Default 100. */
  limit?: number;
  /** Sort by this indexed field (then id), ascending unless `descending`. Default: id. */
  sortBy?: string;
  /** Reverses the order, ties on `sortBy` included (ids descending). */
  descending?: boolean;
  /**
   * Only documents strictly after this position in the sort order (`sortBy`, then id, in the
   * direction asked): the next page of a keyset-paged list, as one bounded query.
   */
  after?: FindCursor;
  /** Only documents whose id lies in this range (string bounds only). */
  idRange?: RangeCondition;
}

/**
 * A named set of documents of one shape, queried by equality on declared indexed fields.
 *
 * Data is JSON: plain objects, arrays, strings (well-formed Unicode), finite numbers, booleans and
 * null; object keys must not start with `$` or contain NUL. Anything else (`Uint8Array`, `bigint`,
 * `Date`, `Map`, `undefined` in arrays, NaN…) is rejected with `invalid_argument` naming the path
 * (`data.blob`): store bytes as base64 (or in the blob store), big integers and dates as strings.
 * Object properties whose value is `undefined` are dropped, as JSON does.
 */
export interface Collection<T extends object> {
  readonly name: string;
  get(id: string, options?: CallOptions): Promise<Doc<T> | undefined>;
  /** Writes `data` as the next version; see {@link PutOptions} for the concurrency contract. */
  put(id: string, data: T, options?: PutOptions): Promise<Doc<T>>;
  /** The documents of `ids` (at most {@link maxBatchDocuments}), aligned with them: undefined where absent. */
  getMany(ids: readonly string[], options?: CallOptions): Promise<(Doc<T> | undefined)[]>;
  /**
   * Many versioned writes in one round trip (MongoDB: one unordered `bulkWrite`; embedded: one
   * group commit). Each write is atomic on its own document, as a `put` with its `expectedVersion`
   * (no outbox, no expiry: the document is permanent); there is no transaction across them. Every
   * write is checked first — ids distinct, data JSON, at most {@link maxBatchDocuments} — and
   * bad input fails the whole call `invalid_argument` naming `writes[i]…`, nothing written. Then
   * each write resolves, aligned with `writes`, to its written document or to the AppError of its
   * version check (`already_exists`, `aborted`, `not_found`: re-read and retry those). The call
   * itself fails only as a backend fails (`unavailable`; `deadline_exceeded`: outcomes unknown).
   */
  putMany(writes: readonly VersionedWrite<T>[], options?: CallOptions): Promise<(Doc<T> | AppError)[]>;
  /** Deletes; with `expectedVersion`, only that version. Resolves false when it did not exist. */
  delete(id: string, options?: DeleteOptions): Promise<boolean>;
  /**
   * Documents whose top-level fields meet every condition in `filter` — equal to a scalar, or
   * within a {@link RangeCondition} (fields must be declared indexes, an unknown range operator is
   * refused; both `invalid_argument` naming `filter.<field>`). A field holding an array matches
   * when one of its elements equals the value (or meets the one bound of a range), as in MongoDB;
   * several bounds on an array field are unspecified (MongoDB lets different elements meet them,
   * mongo-java-server wants one element to meet all). Sorting by a field whose values are arrays is unspecified.
   * Order across types: missing/null, numbers, strings (by code point), booleans. With `after`,
   * pages follow one another without gaps or repeats while the documents do not change.
   */
  find(filter: Readonly<Record<string, FieldCondition>>, options?: FindOptions): Promise<Doc<T>[]>;
}

/**
 * The document store port: collections of versioned JSON documents with an atomic outbox.
 * Every write is atomic on one document; there are no multi-document transactions (by design:
 * the outbox rides in the document it announces). Errors are AppErrors: `unavailable` (retriable)
 * when the backend cannot be reached, `deadline_exceeded` when the call's deadline passes — for a
 * write that means its outcome is unknown: re-read before retrying.
 */
export interface DocumentStore {
  /**
   * A collection (created on first write); `indexes` are the top-level fields `find` may filter
   * and sort on. Names: letters, digits, `_`, `-`, `.`, up to 100 characters, not `system.*`.
   */
  collection<T extends object>(name: string, options?: { indexes?: readonly string[] }): Collection<T>;
  /**
   * Outbox entries not yet relayed, oldest first (approximately, across collections; exactly, in
   * one document), across every collection the store holds — including ones this process has not
   * opened, so a restarted relay finds what a crashed writer left. Default limit 100.
   */
  pendingOutbox(options?: { limit?: number } & CallOptions): Promise<PendingOutboxEntry[]>;
  /**
   * Removes relayed entries from their documents; leaves data and version as they are. Entries
   * or documents that are already gone are ignored.
   */
  markRelayed(items: readonly RelayedEntry[], options?: CallOptions): Promise<void>;
  /**
   * Calls `listener` after every write through this store object that added outbox entries, so a
   * relay can publish at once instead of at its next poll. Writes by other processes are found by
   * polling. Returns the function that unsubscribes.
   */
  onOutboxWrite(listener: () => void): () => void;
  /** Waits for writes in flight, then releases the backend. Later calls fail `failed_precondition`. */
  close(): Promise<void>;
}
