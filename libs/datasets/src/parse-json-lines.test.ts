import { Readable } from 'node:stream';
import { AppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { type JsonLine, parseJsonLines, readJsonLines } from './parse-json-lines.ts';

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('JSON Lines', () => {
  const cases: [name: string, text: string, rows: JsonLine[]][] = [
    ['an empty file', '', []],
    [
      'no final line end',
      '{"a":1}\n{"a":2}',
      [
        { line: 1, row: { a: 1 } },
        { line: 2, row: { a: 2 } },
      ],
    ],
    [
      'CRLF and blank lines',
      '{"a":1}\r\n\r\n  \n{"a":"x"}\r\n',
      [
        { line: 1, row: { a: 1 } },
        { line: 4, row: { a: 'x' } },
      ],
    ],
    ['nested values', '{"a":[1,{"b":null}]}\n', [{ line: 1, row: { a: [1, { b: null }] } }]],
  ];
  it.each(cases)('reads %s', async (_name, text, rows) => {
    expect(parseJsonLines(text)).toEqual(rows);
    for (const size of [1, 3, 1000])
      expect(await Readable.from(readJsonLines(chunked(text, size))).toArray()).toEqual(rows);
  });

  const errors: [name: string, text: string, message: RegExp][] = [
    ['a line that is not JSON', '{"a":1}\n{"a":\n', /^line 2: is not valid JSON: /],
    [
      'a line that is not an object',
      '{"a":1}\n\n[1]\n',
      /^line 3: must be a JSON object \(column → value\)$/,
    ],
    ['a null line', 'null', /^line 1: must be a JSON object/],
  ];
  it.each(errors)('rejects %s, naming the line', async (_name, text, message) => {
    expect(() => parseJsonLines(text)).toThrow(message);
    const streamed = Readable.from(readJsonLines(chunked(text, 2))).toArray();
    await expect(streamed).rejects.toBeInstanceOf(AppError);
    await expect(streamed).rejects.toMatchObject({ code: 'invalid_argument', message });
  });
});
