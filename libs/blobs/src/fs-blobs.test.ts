import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AppError } from '@flywheel/core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from '../test/blob-store-contract.ts';
import { createFsBlobs, tamperFsBlob } from './fs-blobs.ts';
import { withLocalBlobFile } from './local-blob-file.ts';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-blobs-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const storeDirs = new WeakMap<object, string>();
describeBlobStoreContract(
  'fs-blobs',
  async () => {
    const dir = await freshDir();
    const store = createFsBlobs({ dir });
    storeDirs.set(store, dir);
    return store;
  },
  (store, sha256, mutate) => tamperFsBlob(storeDirs.get(store)!, sha256, mutate),
);

describe('fs-blobs layout and crash safety', () => {
  it('keeps a blob read-only at <dir>/sha256/<first two hex>/<digest>', async () => {
    const dir = await freshDir();
    const store = createFsBlobs({ dir });
    const ref = await store.put(Buffer.from('hello'));
    const path = join(dir, 'sha256', ref.sha256.slice(0, 2), ref.sha256);
    const info = await stat(path);
    expect(info.size).toBe(5);
    expect(info.mode & 0o777).toBe(0o444);
    expect(await readdir(join(dir, 'incoming'))).toEqual([]);
  });

  it('a source that throws fails the put with its error and leaves no temporary file', async () => {
    const dir = await freshDir();
    const store = createFsBlobs({ dir });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('upstream connection lost');
    }
    await expect(store.put(broken())).rejects.toMatchObject({
      code: 'unknown',
      message: expect.stringContaining('upstream connection lost'),
    });
    const own = new AppError('failed_precondition', 'the caller said no');
    async function* refuses(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw own;
    }
    await expect(store.put(refuses())).rejects.toBe(own);
    expect(await readdir(join(dir, 'incoming'))).toEqual([]);
    expect(await readdir(join(dir, 'sha256')).catch(() => [])).toEqual([]);
  });

  it('a chunk that is not bytes is invalid_argument', async () => {
    const store = createFsBlobs({ dir: await freshDir() });
    async function* strings(): AsyncGenerator<Uint8Array> {
      yield 'not bytes' as unknown as Uint8Array;
    }
    await expect(store.put(strings())).rejects.toMatchObject({ code: 'invalid_argument', field: 'source' });
  });

  it('never lists leftovers of a crash or foreign files', async () => {
    const dir = await freshDir();
    const store = createFsBlobs({ dir });
    const ref = await store.put(Buffer.from('kept'));
    await mkdir(join(dir, 'incoming'), { recursive: true });
    await writeFile(join(dir, 'incoming', 'crashed.part'), 'half a blob');
    const misplaced = createHash('sha256').update('elsewhere').digest('hex');
    await mkdir(join(dir, 'sha256', 'zz'), { recursive: true });
    await writeFile(join(dir, 'sha256', 'zz', misplaced), 'x');
    await writeFile(join(dir, 'sha256', ref.sha256.slice(0, 2), 'README'), 'x');
    const listed = [];
    for await (const item of store.list()) listed.push(item);
    expect(listed).toEqual([ref]);
  });

  it("lends the blob's own file in place (a hard link in <dir>/lent, no copy) and never lists it", async () => {
    const dir = await freshDir();
    const store = createFsBlobs({ dir });
    const ref = await store.put(randomBytes(2 * 1024 * 1024));
    const stored = await stat(join(dir, 'sha256', ref.sha256.slice(0, 2), ref.sha256));
    await withLocalBlobFile(store, ref.sha256, {}, async (path) => {
      expect(dirname(path)).toBe(join(dir, 'lent'));
      const lent = await stat(path);
      expect({ ino: lent.ino, dev: lent.dev, nlink: lent.nlink }).toEqual({
        ino: stored.ino,
        dev: stored.dev,
        nlink: 2,
      });
      const listed = [];
      for await (const item of store.list()) listed.push(item);
      expect(listed).toEqual([ref]);
    });
    expect(await readdir(join(dir, 'lent'))).toEqual([]);
  });

  it('rejects a missing dir option', () => {
    expect(() => createFsBlobs({ dir: '' })).toThrow(AppError);
  });
});
