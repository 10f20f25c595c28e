import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CallOptions } from '@flywheel/core';
import type { BlobStore } from './blob-store.ts';

/**
 * Runs `use` on a local file holding blob `sha256`, verified against its digest before `use` runs
 * (`not_found` when absent, `data_loss` when damaged; `use` is then not called). A store that can
 * lend a local path ({@link BlobStore.lendLocalFile}: the fs adapter) lends the blob's own file, read-only
 * and without a copy; any other store (S3) is streamed into a temporary file in `tempDir`, removed
 * afterwards. The deadline in `options` covers getting the file, not `use`.
 */
export async function withLocalBlobFile<T>(
  blobs: BlobStore,
  sha256: string,
  options: CallOptions,
  use: (path: string) => Promise<T>,
  tempDir: string = tmpdir(),
): Promise<T> {
  if (blobs.lendLocalFile) return blobs.lendLocalFile(sha256, use, options);
  const path = join(tempDir, `flywheel-blob-${randomUUID()}`);
  try {
    // get() holds its last chunks back until the digest matches, so a damaged blob fails here.
    await pipeline(Readable.from(blobs.get(sha256, options)), createWriteStream(path, { mode: 0o600 }));
    return await use(path);
  } finally {
    await rm(path, { force: true });
  }
}
