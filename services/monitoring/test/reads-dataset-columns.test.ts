// The columns a reference profile is built from: JSON Lines or CSV blobs, streamed into packed columns.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobs } from '@flywheel/blobs';
import { type Cell, cellsOf } from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { describe, expect, it } from 'vitest';
import { inferredKind, numbersOf, rowsOf, samplesOf } from '../src/profiles/dataset-columns.ts';
import { readDatasetColumns } from '../src/profiles/read-dataset-columns.ts';
import { inferKind, sampleOf } from '../src/records/sample-values.ts';

const blobs = createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-mon-rows-')), 'blobs') });

async function read(
  text: string,
  format: DatasetFormat,
  columns?: (available: readonly string[]) => readonly string[],
): Promise<Record<string, Cell[]>> {
  const { sha256 } = await blobs.put(new TextEncoder().encode(text));
  const table = await readDatasetColumns(blobs, sha256, format, columns ? { columns } : {});
  return Object.fromEntries([...table.columns].map(([name, column]) => [name, cellsOf(column)]));
}

describe('dataset columns', () => {
  const csv = '\uFEFFcity,temp,note\r\nseattle,1.5,"a, ""b"""\r\n   \r\noslo,,"two\nlines"\r\nbergen\r\n';
  const expected = {
    city: ['seattle', 'oslo', 'bergen'],
    temp: [1.5, null, null],
    note: ['a, "b"', 'two\nlines', null],
  };

  it('reads CSV: numbers as numbers, empty or missing fields as missing, blank lines skipped', async () => {
    expect(await read(csv, DatasetFormat.CSV)).toEqual(expected);
    expect(await read(csv, DatasetFormat.CSV, () => ['temp', 'gone'])).toEqual({
      temp: [1.5, null, null],
      gone: [null, null, null],
    });
  });

  it('sniffs the format when it is unspecified', async () => {
    expect(await read(csv, DatasetFormat.UNSPECIFIED)).toEqual(expected);
    const jsonl = '\n  {"city":"seattle","temp":1.5,"wet":true}\n\n{"city":"oslo","temp":null,"tags":[1]}\n';
    const json = { city: ['seattle', 'oslo'], temp: [1.5, null], wet: [true, null] };
    expect(await read(jsonl, DatasetFormat.UNSPECIFIED)).toEqual(json);
    expect(await read(jsonl, DatasetFormat.JSONL)).toEqual(json);
  });

  it('names the line that does not parse', async () => {
    await expect(read('a,b\n1,2\n3,"open\n', DatasetFormat.CSV)).rejects.toThrow(
      /line 3: unterminated quoted field/,
    );
    await expect(read('{"a":1}\n{"a":\n', DatasetFormat.JSONL)).rejects.toThrow(/line 2: is not valid JSON/);
    await expect(read('a\n', DatasetFormat.PARQUET)).rejects.toMatchObject({ code: 'unimplemented' });
  });

  // Kinds, numbers and samples equal reading each cell and taking `sampleOf` of it, packed or not.
  it('gives the kind, numbers, samples and rows a profile takes, packed or as cells', async () => {
    const lines = ['numbers,text,flags,zeros'];
    for (let i = 0; i < 3000; i++) {
      lines.push(
        `${i % 7 === 0 ? '' : i * 0.5 - 300},${i < 1000 ? i : `t${i % 3}`},${i % 2},${i % 2 ? '-0' : '0'}`,
      );
    }
    const { sha256 } = await blobs.put(new TextEncoder().encode(`${lines.join('\n')}\n`));
    const table = await readDatasetColumns(blobs, sha256, DatasetFormat.CSV);
    const at = Int32Array.from([5, 0, 2999, 7]);
    for (const [name, column] of table.columns) {
      const cells = cellsOf(column);
      expect(inferredKind(column), name).toBe(inferKind(cells));
      const numeric = cells.map((cell) => sampleOf(cell, 'numeric')).filter((value) => value !== null);
      expect(Array.from(numbersOf(column)), name).toEqual(numeric);
      for (const kind of ['numeric', 'categorical'] as const) {
        expect(samplesOf(column, kind), name).toEqual(cells.map((cell) => sampleOf(cell, kind)));
      }
      expect(cellsOf(rowsOf(column, at)), name).toEqual(Array.from(at, (i) => cells[i]));
    }
    expect(table.columns.get('numbers')!.type).toBe('numbers');
    expect(table.columns.get('text')!.type).toBe('cells');
  });
});
