import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyStream } from './verify-stream.ts';

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

/** Pulls chunks one by one, recording what was handed out before the stream ended or failed. */
async function pull(stream: AsyncIterable<Uint8Array>): Promise<{ received: string[]; error?: unknown }> {
  const received: string[] = [];
  try {
    for await (const chunk of stream) received.push(Buffer.from(chunk).toString());
    return { received };
  } catch (error) {
    return { received, error };
  }
}

describe('verifyStream', () => {
  const content = 'abcdefghi';
  const sha256 = sha256Of(Buffer.from(content));

  it('passes matching content through, chunk by chunk', async () => {
    expect(await pull(verifyStream(chunks('abc', 'def', 'ghi'), { sha256, size: 9 }, 'blob'))).toEqual({
      received: ['abc', 'def', 'ghi'],
    });
  });

  it('holds a small blob back whole, however it is split, until the digest is checked', async () => {
    const { received, error } = await pull(verifyStream(chunks('abc', 'def', 'ghX'), { sha256 }, 'blob x'));
    expect(received).toEqual([]);
    expect(error).toMatchObject({
      code: 'data_loss',
      message: expect.stringContaining('blob x does not match its digest'),
    });
  });

  it('of a large blob, hands out chunks only while 64 KiB or more stay held back', async () => {
    const piece = (fill: string) => Buffer.alloc(40 * 1024, fill);
    const parts = [piece('a'), piece('b'), piece('c'), piece('d')];
    const { received, error } = await pull(
      verifyStream(
        (async function* () {
          yield* parts;
        })(),
        { sha256 },
        'blob big',
      ),
    );
    expect(received.map((chunk) => chunk.length)).toEqual([40 * 1024, 40 * 1024]);
    expect(error).toMatchObject({ code: 'data_loss' });
  });

  it('fails a single-chunk blob before handing out anything', async () => {
    expect((await pull(verifyStream(chunks('abcdefghX'), { sha256 }, 'blob'))).received).toEqual([]);
  });

  it('reports truncation against a recorded size', async () => {
    const { error } = await pull(verifyStream(chunks('abc', 'def'), { sha256, size: 9 }, 'blob'));
    expect(error).toMatchObject({
      code: 'data_loss',
      message: expect.stringContaining('truncated: 6 of 9 bytes'),
    });
  });

  it('stops as soon as the content outgrows a recorded size', async () => {
    const { received, error } = await pull(
      verifyStream(chunks('abcdefghi', 'more', 'and more'), { sha256, size: 9 }, 'blob'),
    );
    expect(received).toEqual([]);
    expect(error).toMatchObject({
      code: 'data_loss',
      message: expect.stringContaining('more bytes than the 9 recorded'),
    });
  });

  it('verifies empty content', async () => {
    expect(
      await pull(verifyStream(chunks(), { sha256: sha256Of(new Uint8Array(0)), size: 0 }, 'blob')),
    ).toEqual({
      received: [],
    });
  });
});
