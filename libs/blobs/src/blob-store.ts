import type { CallOptions } from '@flywheel/core';

/** A stored blob, named by the sha256 of its bytes. */
export interface BlobRef {
  /** Lower-case hex sha256 of the content (64 characters). */
  readonly sha256: string;
  /** Length of the content in bytes. */
  readonly size: number;
}

/** Bytes to store: one buffer, or chunks streamed from an async iterable (a generator, a Node `Readable`…). */
export type BlobSource = Uint8Array | AsyncIterable<Uint8Array>;

/** Options of {@link BlobStore.put}. */
export interface PutOptions extends CallOptions {
  /** A MIME type hint, kept where the backend has object metadata (S3); the fs adapter ignores it. */
  contentType?: string;
}

/**
 * The blob store port: content-addressed by sha256 and verified on read, so a tampered or
 * truncated blob is an error (`data_loss`), never served.
 *
 * Every method takes `{ signal, timeoutMs }`. For `put`, `get`, `getBytes` and `list` the deadline
 * covers the whole transfer or iteration (time spent by the consumer included); the adapters'
 * defaults are generous for transfers and short for `stat`/`delete`. Cancellation and deadlines
 * reject with `cancelled` / `deadline_exceeded` AppErrors and release files, sockets and partial
 * uploads. A digest argument that is not 64 lower-case hex characters is `invalid_argument`.
 * Backend failures are AppErrors: `unavailable` (retriable) when the backend cannot be reached,
 * `unauthenticated` / `permission_denied` for refused credentials.
 */
export interface BlobStore {
  /**
   * Stores bytes, streamed (never buffered whole) and hashed on the way, and resolves once they are
   * durable under their digest. Idempotent: putting equal content again resolves the same ref.
   * A failed or cancelled put leaves no blob behind.
   */
  put(source: BlobSource, options?: PutOptions): Promise<BlobRef>;
  /**
   * Streams a blob, verifying size and sha256 as it reads. The last chunks (at least the last 64 KiB,
   * so all of a smaller blob) are held back until the whole content has been verified, so a
   * consumer never receives all the bytes of a damaged blob:
   * the iteration fails with `data_loss` instead. An absent blob fails the first `next()` with
   * `not_found`. Breaking out of the loop releases the underlying file or connection.
   */
  get(sha256: string, options?: CallOptions): AsyncIterable<Uint8Array>;
  /** The whole blob in memory, verified like {@link BlobStore.get} (`data_loss`, `not_found`). */
  getBytes(sha256: string, options?: CallOptions): Promise<Uint8Array>;
  /**
   * Size and digest, or undefined when absent. Does not read the content; an adapter that records
   * the size at put time (S3) reports a stored size that differs from it as `data_loss`.
   */
  stat(sha256: string, options?: CallOptions): Promise<BlobRef | undefined>;
  /** Every stored blob, in ascending sha256 order. Blobs being written are not listed. */
  list(options?: CallOptions): AsyncIterable<BlobRef>;
  /** Removes a blob; resolves false when it did not exist. */
  delete(sha256: string, options?: CallOptions): Promise<boolean>;
  /**
   * Optional capability of a store whose blobs are local files (the fs adapter): runs `use` on a
   * read-only local path to the blob's own bytes, verified against its digest before `use` runs
   * (`data_loss`, `not_found`), and stable until `use` settles even if the blob is deleted or put
   * again meanwhile. The deadline covers lending, not `use`. Callers go through
   * `withLocalBlobFile`, which downloads to a temporary file for stores without it.
   */
  lendLocalFile?<T>(sha256: string, use: (path: string) => Promise<T>, options?: CallOptions): Promise<T>;
  /** Waits for background clean-ups (bounded by their own deadlines) and releases connections. */
  close(): Promise<void>;
}
