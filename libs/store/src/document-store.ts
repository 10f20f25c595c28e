import type { CallOptions } from '@flywheel/core';

/** A stored document: its id, its version (1 on create, +1 per write) and its data. */
export interface Doc<T> {
  readonly id: string;
  readonly version: number;
  readonly data: T;
}

/** An event written atomically with a document, for the outbox relay to publish. */
export interface OutboxEntry {
  /** Unique id (the CloudEvent id). */
  readonly id: string;
  /** The encoded event, as the relay hands it to the bus (wire form: key, value, headers). */
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly topic: string;
}

export interface PutOptions extends CallOptions {
  /**
   * Optimistic concurrency: `0` = the document must not exist yet (else `already_exists`);
   * `n` = the stored version must be `n` (else `aborted`, retriable after a re-read);
   * undefined = last writer wins.
   */
  expectedVersion?: number;
  /** Events that become visible to the relay in the same atomic write as the state change. */
  outbox?: readonly OutboxEntry[];
}

export type Scalar = string | number | boolean;

export interface FindOptions extends CallOptions {
  /** At most this many. Default 100. */
  limit?: number;
  /** Sort by this indexed field (then id), ascending unless `descending`. Default: id. */
  sortBy?: string;
  descending?: boolean;
}

/** A named set of documents of one shape, queried by equality on declared indexed fields. */
export interface Collection<T extends object> {
  get(id: string, options?: CallOptions): Promise<Doc<T> | undefined>;
  put(id: string, data: T, options?: PutOptions): Promise<Doc<T>>;
  /** Deletes; with `expectedVersion`, only that version. Resolves false when it did not exist. */
  delete(id: string, options?: PutOptions): Promise<boolean>;
  /** Documents whose top-level fields equal every value in `filter` (fields must be indexed). */
  find(filter: Readonly<Record<string, Scalar>>, options?: FindOptions): Promise<Doc<T>[]>;
}

/** The document store port: collections of versioned JSON documents with an atomic outbox. */
export interface DocumentStore {
  /** A collection; `indexes` are the top-level fields `find` may filter and sort on. */
  collection<T extends object>(name: string, options?: { indexes?: readonly string[] }): Collection<T>;
  /** Outbox entries not yet relayed, oldest first, across all collections. */
  pendingOutbox(options?: { limit?: number } & CallOptions): Promise<{ collection: string; docId: string; entry: OutboxEntry }[]>;
  /** Removes relayed entries from their documents (leaves the documents as they are otherwise). */
  markRelayed(items: readonly { collection: string; docId: string; entryId: string }[], options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}
