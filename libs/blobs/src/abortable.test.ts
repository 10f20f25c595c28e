import { AppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { abortable, sourceChunks, untilAborted } from './abortable.ts';

const never = new Promise<never>(() => {});

describe('abortable', () => {
  it('rejects a stuck next() as soon as the signal aborts, and tells the source', async () => {
    let returned = false;
    const stuck: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => never,
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const controller = new AbortController();
    const iterator = abortable(stuck, controller.signal)[Symbol.asyncIterator]();
    const pending = iterator.next();
    controller.abort(new AppError('deadline_exceeded', 'too slow'));
    await expect(pending).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(returned).toBe(true);
  });

  it('maps errors of the source', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    const mapped = abortable(
      failing(),
      new AbortController().signal,
      () => new AppError('unavailable', 'mapped'),
    );
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of mapped) seen.push(value);
      })(),
    ).rejects.toMatchObject({ code: 'unavailable' });
    expect(seen).toEqual([1]);
  });
});

describe('sourceChunks', () => {
  it('yields a buffer as one chunk and skips empty chunks', async () => {
    const signal = new AbortController().signal;
    const out: number[] = [];
    for await (const chunk of sourceChunks(Buffer.from('abc'), signal)) out.push(chunk.byteLength);
    async function* parts(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(0);
      yield Buffer.from('de');
    }
    for await (const chunk of sourceChunks(parts(), signal)) out.push(chunk.byteLength);
    expect(out).toEqual([3, 2]);
  });

  it('rejects a source that is not bytes', async () => {
    const iterator = sourceChunks('text' as unknown as Uint8Array, new AbortController().signal)[
      Symbol.asyncIterator
    ]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'invalid_argument', field: 'source' });
  });
});

describe('untilAborted', () => {
  it('settles like the promise, or with the abort reason first', async () => {
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(untilAborted(never, AbortSignal.abort())).rejects.toMatchObject({ code: 'cancelled' });
  });
});
