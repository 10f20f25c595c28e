import type { CallOptions } from '@flywheel/core';

/** A stored blob, named by the sha256 of its bytes. */
export interface BlobRef {
  /** Lower-case hex sha256 of the content. */
  readonly sha256: string;
  readonly size: number;
}

export type BlobSource = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * The blob store port: content-addressed by sha256 and verified on read, so a tampered or
 * truncated blob is an error (`data_loss`), never served.
 */
export interface BlobStore {
  /** Stores bytes (streamed, never buffered whole); idempotent for equal content. */
  put(source: BlobSource, options?: CallOptions & { contentType?: string }): Promise<BlobRef>;
  /** Streams a blob, verifying size and sha256; the stream fails with `data_loss` on mismatch, `not_found` if absent. */
  get(sha256: string, options?: CallOptions): AsyncIterable<Uint8Array>;
  /** The whole blob in memory, verified. */
  getBytes(sha256: string, options?: CallOptions): Promise<Uint8Array>;
  /** Size and digest, or undefined when absent. */
  stat(sha256: string, options?: CallOptions): Promise<BlobRef | undefined>;
  list(options?: CallOptions): AsyncIterable<BlobRef>;
  /** Resolves false when it did not exist. */
  delete(sha256: string, options?: CallOptions): Promise<boolean>;
  close(): Promise<void>;
}
