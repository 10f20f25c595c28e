import { createHash } from 'node:crypto';
import type { BlobRef, BlobStore } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';

/** One message of an upload: bytes, and optionally the digest the whole upload must have. */
export interface UploadPart {
  chunk: Uint8Array;
  /** Lower-case hex sha256, or empty. */
  sha256: string;
}

/**
 * UploadArtifact: streams the parts into the blob store (never buffered whole) and resolves to
 * the stored blob. The digest is checked before the blob store commits, so a mismatch stores
 * nothing. Throws `invalid_argument` for an empty upload, a digest that differs from the content
 * (field `sha256`) or two different digests; `resource_exhausted` beyond `maxArtifactBytes`.
 */
export function createUploadArtifact(deps: { blobs: BlobStore; maxArtifactBytes: number }) {
  const { blobs, maxArtifactBytes } = deps;
  return async function uploadArtifact(
    parts: AsyncIterable<UploadPart>,
    signal: AbortSignal,
  ): Promise<BlobRef> {
    async function* checked(): AsyncGenerator<Uint8Array> {
      const hash = createHash('sha256');
      let expected = '';
      let size = 0;
      for await (const part of parts) {
        if (part.sha256) {
          if (expected && expected !== part.sha256) {
            throw AppError.invalidArgument(
              'sha256',
              `differs between messages: ${expected} then ${part.sha256}`,
            );
          }
          expected = part.sha256;
        }
        if (part.chunk.byteLength === 0) continue;
        size += part.chunk.byteLength;
        if (size > maxArtifactBytes) {
          throw new AppError(
            'resource_exhausted',
            `artifact exceeds the limit of ${maxArtifactBytes} bytes`,
            {
              retriable: false,
            },
          );
        }
        hash.update(part.chunk);
        yield part.chunk;
      }
      if (size === 0) throw AppError.invalidArgument('chunk', 'the upload carried no bytes');
      const actual = hash.digest('hex');
      if (expected && expected !== actual) {
        throw AppError.invalidArgument('sha256', `is ${expected} but the uploaded bytes hash to ${actual}`);
      }
    }
    return blobs.put(checked(), { signal, contentType: 'application/octet-stream' });
  };
}
