import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AppError, type ErrorCodeName } from '@flywheel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../src/blob-store.ts';
import { withLocalBlobFile } from '../src/local-blob-file.ts';

/**
 * Rewrites the bytes a store holds for `sha256` with `mutate(stored)`, bypassing the store's
 * checks: the adapter-specific way to simulate bit rot, truncation or tampering.
 */
export type TamperBlob<S extends BlobStore = BlobStore> = (
  store: S,
  sha256: string,
  mutate: (stored: Uint8Array) => Uint8Array,
) => Promise<void>;

const MiB = 1024 * 1024;
/** Tests of cancellation fail at this limit (an adapter that hangs) rather than at Vitest's default. */
const hangLimitMs = 15_000;

/**
 * The behaviour every {@link BlobStore} adapter must show, as a Vitest suite. `makeStore` is called
 * once for the suite (give it a fresh directory or bucket) and the store is closed afterwards;
 * tests use random content, so they never see each other's blobs. Run it against the real backend.
 */
export function describeBlobStoreContract<S extends BlobStore>(
  name: string,
  makeStore: () => S | Promise<S>,
  tamper: TamperBlob<S>,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: S;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('round trip', () => {
      it('stores bytes under their node:crypto sha256 and reads them back', async () => {
        const bytes = randomBytes(1000);
        const ref = await store.put(bytes);
        expect(ref).toEqual({ sha256: sha256Of(bytes), size: 1000 });
        expectSameBytes(await store.getBytes(ref.sha256), bytes);
        expectSameBytes(Buffer.concat(await drain(store.get(ref.sha256))), bytes);
      });

      it('stores the empty blob', async () => {
        const ref = await store.put(new Uint8Array(0));
        expect(ref).toEqual({ sha256: sha256Of(new Uint8Array(0)), size: 0 });
        expect((await store.getBytes(ref.sha256)).byteLength).toBe(0);
        expect(await store.stat(ref.sha256)).toEqual(ref);
      });

      it('accepts many small chunks of uneven sizes and a Node Readable', async () => {
        const parts = Array.from({ length: 500 }, (_, i) => randomBytes(1 + ((i * 37) % 300)));
        const whole = Buffer.concat(parts);
        const fromGenerator = await store.put(fromChunks(parts));
        const fromReadable = await store.put(Readable.from(parts));
        expect(fromGenerator).toEqual({ sha256: sha256Of(whole), size: whole.byteLength });
        expect(fromReadable).toEqual(fromGenerator);
        expectSameBytes(await store.getBytes(fromGenerator.sha256), whole);
      });

      it('streams 20 MiB in and out without holding the whole blob in memory', async () => {
        const chunkBytes = MiB;
        const count = 20;
        const hash = createHash('sha256');
        const yielded: WeakRef<Uint8Array>[] = [];
        let aliveAtEnd = -1;
        const gc = exposeGc();
        async function* big(): AsyncGenerator<Uint8Array> {
          for (let i = 0; i < count; i++) {
            if (i === count - 1) {
              await nextMacrotask(); // let the WeakRefs made in earlier jobs become collectable
              gc();
              aliveAtEnd = yielded.filter((ref) => ref.deref() !== undefined).length;
            }
            const chunk = randomBytes(chunkBytes);
            hash.update(chunk);
            yielded.push(new WeakRef(chunk));
            yield chunk;
          }
        }
        const ref = await store.put(big(), { timeoutMs: 120_000 });
        expect(ref).toEqual({ sha256: hash.digest('hex'), size: count * chunkBytes });
        // A store that buffered the blob would still hold all 19 earlier chunks here.
        expect(aliveAtEnd).toBeGreaterThanOrEqual(0);
        expect(aliveAtEnd).toBeLessThanOrEqual(count / 2);

        const readBack = createHash('sha256');
        let size = 0;
        let chunks = 0;
        for await (const chunk of store.get(ref.sha256, { timeoutMs: 120_000 })) {
          readBack.update(chunk);
          size += chunk.byteLength;
          chunks += 1;
        }
        expect(size).toBe(ref.size);
        expect(chunks).toBeGreaterThan(1);
        expect(readBack.digest('hex')).toBe(ref.sha256);
      }, 180_000);
    });

    describe('content addressing', () => {
      it('is idempotent: equal content gives the same ref and one listed blob', async () => {
        const bytes = randomBytes(4096);
        const first = await store.put(bytes);
        const second = await store.put(fromChunks([bytes.subarray(0, 100), bytes.subarray(100)]));
        const concurrent = await Promise.all([store.put(bytes), store.put(bytes), store.put(bytes)]);
        expect(second).toEqual(first);
        expect(concurrent).toEqual([first, first, first]);
        const listed = (await drain(store.list())).filter((ref) => ref.sha256 === first.sha256);
        expect(listed).toEqual([first]);
        expectSameBytes(await store.getBytes(first.sha256), bytes);
      });

      it('stats a present blob and answers undefined for an absent one', async () => {
        const bytes = randomBytes(321);
        const ref = await store.put(bytes);
        expect(await store.stat(ref.sha256)).toEqual(ref);
        expect(await store.stat(sha256Of(randomBytes(8)))).toBeUndefined();
      });

      it('lists stored blobs in ascending sha256 order with their sizes', async () => {
        const refs = await Promise.all(
          [randomBytes(10), randomBytes(20), randomBytes(30)].map((b) => store.put(b)),
        );
        const listed = await drain(store.list());
        for (const ref of refs) expect(listed).toContainEqual(ref);
        const digests = listed.map((ref) => ref.sha256);
        expect(digests).toEqual([...digests].sort());
        expect(new Set(digests).size).toBe(digests.length);
      });

      it('deletes: true once, then false; the blob is gone from get, stat and list', async () => {
        const ref = await store.put(randomBytes(64));
        expect(await store.delete(ref.sha256)).toBe(true);
        expect(await store.delete(ref.sha256)).toBe(false);
        expect(await store.stat(ref.sha256)).toBeUndefined();
        expect((await drain(store.list())).map((r) => r.sha256)).not.toContain(ref.sha256);
        await expectCode(store.getBytes(ref.sha256), 'not_found');
      });

      it('answers not_found for an absent blob on the first next() of get, and from getBytes', async () => {
        const absent = sha256Of(randomBytes(16));
        const iterator = store.get(absent)[Symbol.asyncIterator]();
        await expectCode(iterator.next(), 'not_found');
        await expectCode(store.getBytes(absent), 'not_found');
      });

      it.each([
        ['empty', ''],
        ['upper-case hex', sha256Of(Buffer.from('x')).toUpperCase()],
        ['63 characters', 'a'.repeat(63)],
        ['65 characters', 'a'.repeat(65)],
        ['non-hex', 'g'.repeat(64)],
        ['a path', `../${'a'.repeat(61)}`],
        ['prefixed', `sha256:${'a'.repeat(64)}`],
      ])('rejects a malformed digest (%s) with invalid_argument everywhere', async (_, bad) => {
        await expectCode(store.getBytes(bad), 'invalid_argument');
        await expectCode(store.get(bad)[Symbol.asyncIterator]().next(), 'invalid_argument');
        await expectCode(store.stat(bad), 'invalid_argument');
        await expectCode(store.delete(bad), 'invalid_argument');
      });
    });

    describe('damaged blobs are errors, never served', () => {
      const damages: [string, (stored: Uint8Array) => Uint8Array][] = [
        ['one flipped bit', flipLastBit],
        ['truncated', (stored) => stored.subarray(0, stored.byteLength - 7)],
        ['emptied', () => new Uint8Array(0)],
        ['extended', (stored) => Buffer.concat([stored, Buffer.from('!')])],
        ['replaced by other bytes of equal size', (stored) => randomBytes(stored.byteLength)],
      ];

      it.each(damages)('%s: get and getBytes fail with data_loss and hand out nothing', async (_, mutate) => {
        const ref = await store.put(randomBytes(2000));
        await tamper(store, ref.sha256, mutate);
        await expectCode(store.getBytes(ref.sha256), 'data_loss');
        const received: Uint8Array[] = [];
        await expectCode(
          (async () => {
            for await (const chunk of store.get(ref.sha256)) received.push(chunk);
          })(),
          'data_loss',
        );
        expect(received).toEqual([]);
      });

      it('a large damaged blob fails before its last chunk is handed out', async () => {
        const ref = await store.put(randomBytes(3 * MiB));
        await tamper(store, ref.sha256, flipLastBit);
        let received = 0;
        await expectCode(
          (async () => {
            for await (const chunk of store.get(ref.sha256)) received += chunk.byteLength;
          })(),
          'data_loss',
        );
        expect(received).toBeLessThan(ref.size);
      });

      it('putting the content again repairs a damaged blob', async () => {
        const bytes = randomBytes(500);
        const ref = await store.put(bytes);
        await tamper(store, ref.sha256, flipLastBit);
        await expectCode(store.getBytes(ref.sha256), 'data_loss');
        expect(await store.put(bytes)).toEqual(ref);
        expectSameBytes(await store.getBytes(ref.sha256), bytes);
      });
    });

    describe('a local file of a blob (withLocalBlobFile)', () => {
      it('hands `use` a readable file of the bytes, gone once `use` settles, and returns its result', async () => {
        const bytes = randomBytes(3 * MiB + 17);
        const ref = await store.put(bytes);
        let lent = '';
        const result = await withLocalBlobFile(store, ref.sha256, {}, async (path) => {
          lent = path;
          expectSameBytes(await readFile(path), bytes);
          return 'used';
        });
        expect(result).toBe('used');
        expect(existsSync(lent)).toBe(false);
        expectSameBytes(await store.getBytes(ref.sha256), bytes);
      });

      it('a failing `use` rejects with its error and the file is still cleaned up', async () => {
        const ref = await store.put(randomBytes(100));
        let lent = '';
        const failure = new Error('use failed');
        await expect(
          withLocalBlobFile(store, ref.sha256, {}, async (path) => {
            lent = path;
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(existsSync(lent)).toBe(false);
      });

      it('the file stays valid and unchanged while the blob is deleted and put again', async () => {
        const bytes = randomBytes(MiB);
        const ref = await store.put(bytes);
        await withLocalBlobFile(store, ref.sha256, {}, async (path) => {
          expect(await store.delete(ref.sha256)).toBe(true);
          expectSameBytes(await readFile(path), bytes);
          expect(await store.put(bytes)).toEqual(ref);
          expect(await store.delete(ref.sha256)).toBe(true);
          expectSameBytes(await readFile(path), bytes);
        });
        expect(await store.stat(ref.sha256)).toBeUndefined();
      });

      it('the file is read-only', async () => {
        const ref = await store.put(randomBytes(100));
        await withLocalBlobFile(store, ref.sha256, {}, async (path) => {
          if (store.lendLocalFile) expect((await stat(path)).mode & 0o222).toBe(0);
          else expect((await stat(path)).mode & 0o077).toBe(0); // a private temporary copy
        });
      });

      it('an absent blob is not_found, a damaged one data_loss, a malformed digest invalid_argument; `use` never runs', async () => {
        let used = 0;
        const use = async (): Promise<void> => {
          used += 1;
        };
        await expectCode(withLocalBlobFile(store, sha256Of(randomBytes(16)), {}, use), 'not_found');
        const ref = await store.put(randomBytes(2000));
        await tamper(store, ref.sha256, flipLastBit);
        await expectCode(withLocalBlobFile(store, ref.sha256, {}, use), 'data_loss');
        await expectCode(withLocalBlobFile(store, 'a'.repeat(63), {}, use), 'invalid_argument');
        expect(used).toBe(0);
      });

      it('an already-aborted signal is cancelled and `use` never runs', async () => {
        const ref = await store.put(randomBytes(100));
        let used = false;
        await expectCode(
          withLocalBlobFile(store, ref.sha256, { signal: AbortSignal.abort() }, async () => {
            used = true;
          }),
          'cancelled',
        );
        expect(used).toBe(false);
      });

      it('lends one blob to concurrent users at once', async () => {
        const bytes = randomBytes(256 * 1024);
        const ref = await store.put(bytes);
        const paths = await Promise.all(
          Array.from({ length: 4 }, () =>
            withLocalBlobFile(store, ref.sha256, {}, async (path) => {
              expectSameBytes(await readFile(path), bytes);
              return path;
            }),
          ),
        );
        expect(new Set(paths).size).toBe(4);
        for (const path of paths) expect(existsSync(path)).toBe(false);
      });
    });

    describe('cancellation and deadlines', () => {
      it(
        'a put stops when its signal aborts, even while the source is stuck',
        async () => {
          const controller = new AbortController();
          async function* stuck(): AsyncGenerator<Uint8Array> {
            yield randomBytes(1024);
            controller.abort();
            await new Promise(() => {}); // never resolves
          }
          const started = Date.now();
          await expectCode(store.put(stuck(), { signal: controller.signal }), 'cancelled');
          expect(Date.now() - started).toBeLessThan(5_000);
        },
        hangLimitMs,
      );

      it(
        'a put whose source stalls fails with deadline_exceeded at its deadline',
        async () => {
          async function* stalls(): AsyncGenerator<Uint8Array> {
            yield randomBytes(1024);
            await new Promise(() => {});
          }
          const started = Date.now();
          await expectCode(store.put(stalls(), { timeoutMs: 300 }), 'deadline_exceeded');
          expect(Date.now() - started).toBeLessThan(5_000);
        },
        hangLimitMs,
      );

      it(
        'a cancelled put of a multi-part blob leaves no blob behind',
        async () => {
          const controller = new AbortController();
          const sent = createHash('sha256');
          async function* partial(): AsyncGenerator<Uint8Array> {
            for (let i = 0; i < 12; i++) {
              const chunk = randomBytes(MiB);
              sent.update(chunk);
              yield chunk;
            }
            controller.abort();
            await new Promise(() => {});
          }
          const before = new Set((await drain(store.list())).map((ref) => ref.sha256));
          await expectCode(store.put(partial(), { signal: controller.signal }), 'cancelled');
          const after = (await drain(store.list())).filter((ref) => !before.has(ref.sha256));
          expect(after).toEqual([]);
          expect(await store.stat(sent.digest('hex'))).toBeUndefined();
        },
        hangLimitMs,
      );

      it(
        'a get stops when its signal aborts mid-stream',
        async () => {
          const ref = await store.put(randomBytes(2 * MiB));
          const controller = new AbortController();
          const iterator = store.get(ref.sha256, { signal: controller.signal })[Symbol.asyncIterator]();
          const first = await iterator.next();
          expect(first.done).toBe(false);
          controller.abort();
          await expectCode(iterator.next(), 'cancelled');
        },
        hangLimitMs,
      );

      it('every call with an already-aborted signal is cancelled', async () => {
        const ref = await store.put(randomBytes(10));
        const signal = AbortSignal.abort();
        await expectCode(store.put(randomBytes(10), { signal }), 'cancelled');
        await expectCode(store.getBytes(ref.sha256, { signal }), 'cancelled');
        await expectCode(store.stat(ref.sha256, { signal }), 'cancelled');
        await expectCode(store.delete(ref.sha256, { signal }), 'cancelled');
        await expectCode(drain(store.list({ signal })), 'cancelled');
        expect(await store.stat(ref.sha256)).toEqual(ref);
      });

      it('breaking out of a get early releases it; the blob stays readable', async () => {
        const bytes = randomBytes(2 * MiB);
        const ref = await store.put(bytes);
        for await (const _ of store.get(ref.sha256)) break;
        expectSameBytes(await store.getBytes(ref.sha256), bytes);
      });
    });
  });
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function flipLastBit(stored: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(stored);
  copy[copy.length - 1]! ^= 1;
  return copy;
}

async function* fromChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Compares bytes by size and digest: fast, and a readable failure even for megabytes. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect({ size: actual.byteLength, sha256: sha256Of(actual) }).toEqual({
    size: expected.byteLength,
    sha256: sha256Of(expected),
  });
}

/** Awaits `promise`, expecting an AppError with `code`, and returns it. */
async function expectCode(promise: Promise<unknown>, code: ErrorCodeName): Promise<AppError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected an AppError ${code}`).toBeInstanceOf(AppError);
  expect({ code: (thrown as AppError).code, message: (thrown as AppError).message }).toMatchObject({ code });
  return thrown as AppError;
}

let gcFunction: (() => void) | undefined;

/** The engine's gc(), exposed at run time, to see which chunks a store still holds. */
function exposeGc(): () => void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  return gcFunction;
}
