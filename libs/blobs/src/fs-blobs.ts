import { createHash, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  chmod,
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  AppError,
  abortError,
  type CallOptions,
  deadlineSignal,
  type Logger,
  silentLogger,
  throwIfAborted,
} from '@flywheel/core';
import { abortable, sourceChunks, untilAborted } from './abortable.ts';
import type { BlobRef, BlobSource, BlobStore, PutOptions } from './blob-store.ts';
import { collectBytes } from './collect-bytes.ts';
import { assertSha256, isSha256 } from './sha256.ts';
import { verifyStream } from './verify-stream.ts';

/** Options of {@link createFsBlobs}. */
export interface FsBlobsOptions {
  /** The store's root directory; created on first put. */
  dir: string;
  log?: Logger;
  /** Default deadline of `put`, `get`, `getBytes` and `list`, ms. Default 10 min. */
  transferTimeoutMs?: number;
  /** Default deadline of `stat` and `delete`, ms. Default 30 s. */
  requestTimeoutMs?: number;
  /** Size of the chunks `get` yields, bytes. Default 256 KiB. */
  chunkBytes?: number;
}

const defaults = { transferTimeoutMs: 600_000, requestTimeoutMs: 30_000, chunkBytes: 256 * 1024 };

/**
 * A {@link BlobStore} in a local directory, content-addressed: `<dir>/sha256/ab/abcdef…` (sharded by
 * the first two hex digits). `put` streams into `<dir>/incoming/<uuid>` while hashing, fsyncs it,
 * makes it read-only and renames it atomically onto its digest name (so readers see the whole blob
 * or none, and equal content just replaces equal content), then fsyncs the directory. `get`
 * re-hashes every read. Files left in `incoming/` by a crash are never listed or served.
 * `lendLocalFile` hard-links the blob to `<dir>/lent/<uuid>-<digest>` (a copy where the filesystem
 * refuses links), verifies it, and removes the link once `use` settles: a delete or a re-put only
 * replaces the digest's directory entry, never the lent inode, so the path stays valid and
 * unchanged meanwhile. A crash during a lend leaves its link in `lent/` (it holds space only once
 * its blob is deleted).
 */
export function createFsBlobs(options: FsBlobsOptions): BlobStore {
  const { dir } = options;
  if (typeof dir !== 'string' || dir === '')
    throw AppError.invalidArgument('dir', 'must be a directory path');
  const log = (options.log ?? silentLogger).child({ component: 'fs-blobs' });
  const transferTimeoutMs = options.transferTimeoutMs ?? defaults.transferTimeoutMs;
  const requestTimeoutMs = options.requestTimeoutMs ?? defaults.requestTimeoutMs;
  const chunkBytes = options.chunkBytes ?? defaults.chunkBytes;
  const blobsDir = join(dir, 'sha256');
  const incomingDir = join(dir, 'incoming');
  const lentDir = join(dir, 'lent');
  const pathOf = (sha256: string): string => join(blobsDir, sha256.slice(0, 2), sha256);

  async function put(source: BlobSource, options: PutOptions = {}): Promise<BlobRef> {
    const signal = deadlineSignal(options, transferTimeoutMs);
    throwIfAborted(signal);
    const temp = join(incomingDir, `${randomUUID()}.part`);
    let handle: FileHandle | undefined;
    let placed = false;
    try {
      await mkdir(incomingDir, { recursive: true });
      handle = await open(temp, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of sourceChunks(source, signal)) {
        hash.update(chunk);
        size += chunk.byteLength;
        await untilAborted(writeAll(handle, chunk), signal);
      }
      await untilAborted(handle.sync(), signal);
      await handle.chmod(0o444);
      await handle.close();
      handle = undefined;
      const sha256 = hash.digest('hex');
      const target = pathOf(sha256);
      await mkdir(dirname(target), { recursive: true });
      throwIfAborted(signal);
      await rename(temp, target);
      placed = true;
      await syncDir(dirname(target));
      log.debug('blob stored', { sha256, size });
      return { sha256, size };
    } catch (thrown) {
      throw fsError(thrown, 'put', signal);
    } finally {
      if (handle) await handle.close().catch(() => {});
      if (!placed) {
        await rm(temp, { force: true }).catch((thrown: unknown) =>
          log.warn('could not remove a temporary blob file', { path: temp, error: String(thrown) }),
        );
      }
    }
  }

  async function* get(
    sha256: string,
    options: CallOptions = {},
  ): AsyncGenerator<Uint8Array, void, undefined> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, transferTimeoutMs);
    throwIfAborted(signal);
    let handle: FileHandle;
    try {
      handle = await open(pathOf(sha256), 'r');
    } catch (thrown) {
      throw fsError(thrown, `get ${sha256}`, signal);
    }
    try {
      const chunks = abortable(readChunks(handle, chunkBytes), signal, (thrown) =>
        fsError(thrown, `get ${sha256}`, signal),
      );
      yield* verifyStream(chunks, { sha256 }, `blob ${sha256}`);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async function lendLocalFile<T>(
    sha256: string,
    use: (path: string) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, transferTimeoutMs);
    const lent = join(lentDir, `${randomUUID()}-${sha256}`);
    try {
      try {
        throwIfAborted(signal);
        await mkdir(lentDir, { recursive: true });
        await linkOrCopy(pathOf(sha256), lent);
        // Verify the lent inode itself: what `use` reads is what was checked.
        const handle = await open(lent, 'r');
        try {
          const chunks = abortable(readChunks(handle, chunkBytes), signal, (thrown) =>
            fsError(thrown, `get ${sha256}`, signal),
          );
          for await (const _chunk of verifyStream(chunks, { sha256 }, `blob ${sha256}`)) {
            // drained for the digest check only
          }
        } finally {
          await handle.close().catch(() => {});
        }
      } catch (thrown) {
        throw fsError(thrown, `get ${sha256}`, signal);
      }
      return await use(lent);
    } finally {
      await rm(lent, { force: true }).catch((thrown: unknown) =>
        log.warn('could not remove a lent blob link', { path: lent, error: String(thrown) }),
      );
    }
  }

  async function statBlob(sha256: string, options: CallOptions = {}): Promise<BlobRef | undefined> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, requestTimeoutMs);
    try {
      throwIfAborted(signal);
      const info = await untilAborted(stat(pathOf(sha256)), signal);
      return { sha256, size: info.size };
    } catch (thrown) {
      if (errnoOf(thrown) === 'ENOENT') return undefined;
      throw fsError(thrown, `stat ${sha256}`, signal);
    }
  }

  async function* list(options: CallOptions = {}): AsyncGenerator<BlobRef, void, undefined> {
    const signal = deadlineSignal(options, transferTimeoutMs);
    try {
      throwIfAborted(signal);
      for (const shard of await sortedEntries(blobsDir)) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
        for (const name of await sortedEntries(join(blobsDir, shard))) {
          throwIfAborted(signal);
          if (!isSha256(name) || !name.startsWith(shard)) continue;
          let size: number;
          try {
            size = (await stat(join(blobsDir, shard, name))).size;
          } catch (thrown) {
            if (errnoOf(thrown) === 'ENOENT') continue; // deleted meanwhile
            throw thrown;
          }
          yield { sha256: name, size };
        }
      }
    } catch (thrown) {
      throw fsError(thrown, 'list', signal);
    }
  }

  async function deleteBlob(sha256: string, options: CallOptions = {}): Promise<boolean> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, requestTimeoutMs);
    try {
      throwIfAborted(signal);
      await untilAborted(unlink(pathOf(sha256)), signal);
      return true;
    } catch (thrown) {
      if (errnoOf(thrown) === 'ENOENT') return false;
      throw fsError(thrown, `delete ${sha256}`, signal);
    }
  }

  return {
    put,
    get,
    getBytes: (sha256, options) => collectBytes(get(sha256, options)),
    stat: statBlob,
    list,
    delete: deleteBlob,
    lendLocalFile,
    close: async () => {},
  };
}

/**
 * Test helper: rewrites the stored bytes of a blob of an fs store rooted at `dir` with
 * `mutate(stored)`, bypassing every check, to prove that damage is detected.
 */
export async function tamperFsBlob(
  dir: string,
  sha256: string,
  mutate: (stored: Uint8Array) => Uint8Array,
): Promise<void> {
  assertSha256(sha256);
  const path = join(dir, 'sha256', sha256.slice(0, 2), sha256);
  const stored = await readFile(path);
  await chmod(path, 0o644);
  await writeFile(path, mutate(stored));
  await chmod(path, 0o444);
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function* readChunks(
  handle: FileHandle,
  chunkBytes: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  for (;;) {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Errnos of a filesystem that cannot hard-link this file here; a copy serves instead. */
const noLink = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);

async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (thrown) {
    if (!noLink.has(errnoOf(thrown) ?? '')) throw thrown;
    await copyFile(source, target, constants.COPYFILE_FICLONE);
    await chmod(target, 0o444);
  }
}

async function sortedEntries(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (thrown) {
    if (errnoOf(thrown) === 'ENOENT') return [];
    throw thrown;
  }
}

/** Makes a rename durable: fsync the directory that now holds the entry. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (thrown) {
    // Some filesystems refuse fsync on a directory; the rename itself has still happened.
    if (errnoOf(thrown) !== 'EINVAL' && errnoOf(thrown) !== 'EISDIR') throw thrown;
  } finally {
    await handle.close();
  }
}

function errnoOf(thrown: unknown): string | undefined {
  const code = (thrown as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const errnoCodes: Readonly<Record<string, AppError['code']>> = {
  ENOENT: 'not_found',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  EROFS: 'permission_denied',
  ENOSPC: 'resource_exhausted',
  EDQUOT: 'resource_exhausted',
  EMFILE: 'resource_exhausted',
  ENFILE: 'resource_exhausted',
  EIO: 'unavailable',
  EAGAIN: 'unavailable',
  EBUSY: 'unavailable',
  ESTALE: 'unavailable',
};

/** A filesystem error as an AppError; the signal's reason wins when it has aborted. */
function fsError(thrown: unknown, operation: string, signal: AbortSignal): AppError {
  if (thrown instanceof AppError) return thrown;
  if (signal.aborted) return abortError(signal);
  const errno = errnoOf(thrown);
  const code = errno === undefined ? undefined : errnoCodes[errno];
  if (code === undefined) return AppError.from(thrown);
  const what =
    code === 'not_found' && operation.startsWith('get ')
      ? `blob ${operation.slice(4)} not found`
      : `${operation}: ${(thrown as Error).message}`;
  return new AppError(code, what, { cause: thrown, details: { errno: errno! } });
}
