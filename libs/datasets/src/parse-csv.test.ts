import { Readable } from 'node:stream';
import { AppError } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { formatCsvLine } from './format-csv-line.ts';
import { type CsvRecord, parseCsv, readCsv } from './parse-csv.ts';

describe('CSV (RFC 4180)', () => {
  it('reads quoted fields with commas, quotes and line breaks, CRLF and a BOM', () => {
    const text = '\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\r\n\r\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\nlines', ''] },
    ]);
  });

  it('round-trips what it writes', () => {
    const fields = ['plain', 'a,b', 'q"uote', 'multi\nline', ''];
    expect(parseCsv(`${formatCsvLine(fields)}\n`)).toEqual([{ line: 1, fields }]);
  });

  it('names the line of a malformed field', () => {
    expect(() => parseCsv('a,b\n1,"open\n')).toThrow(/line 2: unterminated quoted field/);
    expect(() => parseCsv('a,b\n1,x"y\n')).toThrow(/line 2: a quote inside an unquoted field/);
  });

  it('parses RFC 4180 CSV records', () => {
    expect(parseCsv('a,"b,c","say ""hi""",').map((r) => r.fields)).toEqual([['a', 'b,c', 'say "hi"', '']]);
  });
});

const r = (line: number, ...fields: string[]): CsvRecord => ({ line, fields });

describe('CSV edge cases', () => {
  const cases: [name: string, text: string, records: CsvRecord[]][] = [
    ['an empty file', '', []],
    ['only a BOM', '\uFEFF', []],
    ['only blank lines', '\n\r\n\n', []],
    ['no final line end', 'a,b\n1,2', [r(1, 'a', 'b'), r(2, '1', '2')]],
    ['a final line end', 'a,b\n1,2\n', [r(1, 'a', 'b'), r(2, '1', '2')]],
    ['CRLF line ends', 'a,b\r\n1,2\r\n', [r(1, 'a', 'b'), r(2, '1', '2')]],
    ['CR line ends', 'a,b\r1,2\r', [r(1, 'a', 'b'), r(2, '1', '2')]],
    ['mixed line ends', 'a\r\nb\nc\rd', [r(1, 'a'), r(2, 'b'), r(3, 'c'), r(4, 'd')]],
    ['a BOM before the header', '\uFEFFa,b\n1,2\n', [r(1, 'a', 'b'), r(2, '1', '2')]],
    ['blank lines between records keep line numbers', 'a\n\n\nb\n', [r(1, 'a'), r(4, 'b')]],
    ['empty fields', ',\n,,x\n', [r(1, '', ''), r(2, '', '', 'x')]],
    ['a quoted empty field', '""\n"",""\n', [r(2, '', '')]],
    ['"" inside quotes is a quote', '"say ""hi"""\n', [r(1, 'say "hi"')]],
    ['a field of one quote', '""""\n', [r(1, '"')]],
    ['a comma inside quotes', '"a,b",c\n', [r(1, 'a,b', 'c')]],
    ['a line feed inside quotes', '"x\ny",z\nnext\n', [r(1, 'x\ny', 'z'), r(3, 'next')]],
    ['a CRLF inside quotes counts one line', 'a\r\n"x\r\ny"\r\nz', [r(1, 'a'), r(2, 'x\r\ny'), r(4, 'z')]],
    ['several line feeds inside quotes', 'a\n"x\n\ny",b\nz\n', [r(1, 'a'), r(2, 'x\n\ny', 'b'), r(5, 'z')]],
    ['whitespace is kept', ' a , b \n', [r(1, ' a ', ' b ')]],
    ['records of different widths', 'a,b\n1\n1,2,3\n', [r(1, 'a', 'b'), r(2, '1'), r(3, '1', '2', '3')]],
  ];
  it.each(cases)('reads %s', (_name, text, records) => {
    expect(parseCsv(text)).toEqual(records);
  });

  const errors: [name: string, text: string, message: string][] = [
    [
      'an unterminated quote, where its record starts',
      'a\n"open\nmore\nlines',
      'line 2: unterminated quoted field',
    ],
    ['an unterminated quote after blank lines', 'a\n\n\n"open\n', 'line 4: unterminated quoted field'],
    ['a quote inside an unquoted field', 'a\nb\nx"y\n', 'line 3: a quote inside an unquoted field'],
    ['a quote after leading spaces', 'a, "b"\n', 'line 1: a quote inside an unquoted field'],
    [
      'a character after a closing quote, where it is found',
      'a\nb,"x\n\n"y\n',
      'line 4: unexpected character after a closing quote',
    ],
    ['a space after a closing quote', '"a"  ,b\n', 'line 1: unexpected character after a closing quote'],
  ];
  it.each(errors)('rejects %s', (_name, text, message) => {
    let thrown: unknown;
    try {
      parseCsv(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'invalid_argument', message });
  });
});

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('CSV streams', () => {
  const text = '\uFEFFcity,note\r\nzürich,"two\nlines"\r\n\r\n"a ""b""",\r\n';

  it('reads the same records as parseCsv, however the bytes are split', async () => {
    for (const size of [1, 2, 3, 7, 1000])
      expect(await Readable.from(readCsv(chunked(text, size))).toArray()).toEqual(parseCsv(text));
  });

  it('names the line of a malformed field', async () => {
    await expect(Readable.from(readCsv(chunked('a,b\n1,"open\n', 2))).toArray()).rejects.toThrow(
      /line 2: unterminated quoted field/,
    );
    await expect(Readable.from(readCsv(chunked('a,b\n1,x"y\n', 2))).toArray()).rejects.toThrow(
      /line 2: a quote inside an unquoted field/,
    );
  });

  it('passes the source’s own error through', async () => {
    const failure = new AppError('data_loss', 'digest mismatch');
    async function* broken(): AsyncGenerator<string> {
      yield 'a,b\n1,2\n';
      throw failure;
    }
    await expect(Readable.from(readCsv(broken())).toArray()).rejects.toBe(failure);
  });

  it('stops reading when the caller stops', async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<string> {
      try {
        for (;;) yield 'a,b\n';
      } finally {
        closed = true;
      }
    }
    for await (const record of readCsv(endless())) if (record.line === 3) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(true);
  });
});
