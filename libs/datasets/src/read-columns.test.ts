// Datasets read straight into columns: the cells a row-by-row reading would give, packed while
// numeric, the lines kept, chunk boundaries invisible once collected, errors naming the line.
import { describe, expect, it } from 'vitest';
import { type Cell, type ColumnChunk, cellsOf, collectColumns, readColumns } from './read-columns.ts';

async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function chunksOf(text: string, options: Parameters<typeof readColumns>[1]): Promise<ColumnChunk[]> {
  const out: ColumnChunk[] = [];
  for await (const chunk of readColumns(pieces(text, 7), options)) out.push(chunk);
  return out;
}

function table(chunk: ColumnChunk): Record<string, Cell[]> {
  return Object.fromEntries([...chunk.columns].map(([name, column]) => [name, cellsOf(column)]));
}

describe('dataset columns', () => {
  const csv =
    '\uFEFFcity,temp,note,n\r\nseattle,1.5,"a, ""b""",3\r\n   \r\noslo,,"two\nlines",-0\r\nbergen\r\nx, 2 ,NaN,1e3\r\n';

  it('reads CSV: finite numbers packed, empty or absent fields missing, other text as text', async () => {
    const [chunk, ...rest] = await chunksOf(csv, { format: 'csv' });
    expect(rest).toEqual([]);
    expect(chunk!.rows).toBe(4);
    expect(Array.from(chunk!.lines)).toEqual([2, 4, 6, 7]);
    expect(table(chunk!)).toEqual({
      city: ['seattle', 'oslo', 'bergen', 'x'],
      temp: [1.5, null, null, 2],
      note: ['a, "b"', 'two\nlines', null, 'NaN'],
      n: [3, -0, null, 1000],
    });
    expect(chunk!.columns.get('temp')!.type).toBe('numbers');
    expect(chunk!.columns.get('n')!.type).toBe('numbers');
    expect(chunk!.columns.get('note')!.type).toBe('cells');
  });

  it('keeps only the chosen columns, a chosen column the file lacks reading all missing', async () => {
    const seen: string[][] = [];
    const [chunk] = await chunksOf(csv, {
      format: 'csv',
      columns: (available) => {
        seen.push([...available]);
        return ['n', 'absent'];
      },
    });
    expect(seen).toEqual([['city', 'temp', 'note', 'n']]);
    expect(table(chunk!)).toEqual({ n: [3, -0, null, 1000], absent: [null, null, null, null] });
  });

  it('reads JSON Lines: finite numbers, strings and booleans kept, the rest missing', async () => {
    const text = '\n{"a":1,"b":"x","c":true}\n{"a":null,"b":2,"c":[1],"d":5}\n\n{"b":{"o":1}}\n';
    const [chunk] = await chunksOf(text, { format: 'jsonl' });
    expect(Array.from(chunk!.lines)).toEqual([2, 3, 5]);
    expect(table(chunk!)).toEqual({ a: [1, null, null], b: ['x', 2, null], c: [true, null, null] });
    expect(chunk!.columns.get('a')!.type).toBe('numbers');
  });

  it('yields chunks of the chosen size; collected they equal one read, a column turning to text in any chunk', async () => {
    const lines = ['a,b,c'];
    for (let i = 0; i < 2500; i++) lines.push(`${i},${i === 1500 ? 'text' : i / 4},${i % 3 === 0 ? '' : -i}`);
    const text = `${lines.join('\n')}\n`;
    const chunks = await chunksOf(text, { format: 'csv', chunkRows: 1000 });
    expect(chunks.map((c) => c.rows)).toEqual([1000, 1000, 500]);
    expect(chunks.map((c) => c.columns.get('b')!.type)).toEqual(['numbers', 'cells', 'numbers']);
    const all = await collectColumns(readColumns(pieces(text, 4096), { format: 'csv' }));
    const collected = await collectColumns(
      readColumns(pieces(text, 4096), { format: 'csv', chunkRows: 1000 }),
    );
    expect(table(collected)).toEqual(table(all));
    expect(Array.from(collected.lines)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 2));
    expect(collected.columns.get('a')!.type).toBe('numbers');
    expect(collected.columns.get('b')!.type).toBe('cells');
    expect(table(all).b![1500]).toBe('text');
    expect(table(all).c!.slice(0, 4)).toEqual([null, -1, -2, null]);
  });

  it('reads an empty file as no rows', async () => {
    expect(await chunksOf('', { format: 'csv' })).toEqual([]);
    expect(await chunksOf('a,b\n', { format: 'csv' })).toEqual([]);
    expect((await collectColumns(readColumns(pieces('', 1), { format: 'jsonl' }))).rows).toBe(0);
  });

  it('names the line that does not parse', async () => {
    await expect(chunksOf('a,b\n1,2\n3,"open\n', { format: 'csv' })).rejects.toThrow(
      /line 3: unterminated quoted field/,
    );
    await expect(chunksOf('{"a":1}\n{"a":\n', { format: 'jsonl' })).rejects.toThrow(
      /line 2: is not valid JSON/,
    );
  });
});
