// The rows a reference profile is built from: JSON Lines or CSV blobs, streamed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobs } from '@flywheel/blobs';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { describe, expect, it } from 'vitest';
import { type DatasetRow, readDatasetRows } from '../src/profiles/read-dataset-rows.ts';

const blobs = createFsBlobs({ dir: join(mkdtempSync(join(tmpdir(), 'flywheel-mon-rows-')), 'blobs') });

async function rows(text: string, format: DatasetFormat): Promise<DatasetRow[]> {
  const { sha256 } = await blobs.put(new TextEncoder().encode(text));
  const out: DatasetRow[] = [];
  for await (const row of readDatasetRows(blobs, sha256, format)) out.push(row);
  return out;
}

describe('dataset rows', () => {
  const csv = '\uFEFFcity,temp,note\r\nseattle,1.5,"a, ""b"""\r\n   \r\noslo,,"two\nlines"\r\nbergen\r\n';
  const expected = [
    { city: 'seattle', temp: 1.5, note: 'a, "b"' },
    { city: 'oslo', temp: null, note: 'two\nlines' },
    { city: 'bergen', temp: null, note: null },
  ];

  it('reads CSV: numbers as numbers, empty or missing fields as null, blank lines skipped', async () => {
    expect(await rows(csv, DatasetFormat.CSV)).toEqual(expected);
  });

  it('sniffs the format when it is unspecified', async () => {
    expect(await rows(csv, DatasetFormat.UNSPECIFIED)).toEqual(expected);
    const jsonl = '\n  {"city":"seattle","temp":1.5,"wet":true}\n\n{"city":"oslo","temp":null,"tags":[1]}\n';
    const json = [
      { city: 'seattle', temp: 1.5, wet: true },
      { city: 'oslo', temp: null, tags: null },
    ];
    expect(await rows(jsonl, DatasetFormat.UNSPECIFIED)).toEqual(json);
    expect(await rows(jsonl, DatasetFormat.JSONL)).toEqual(json);
  });

  it('names the line that does not parse', async () => {
    await expect(rows('a,b\n1,2\n3,"open\n', DatasetFormat.CSV)).rejects.toThrow(
      /line 3: unterminated quoted field/,
    );
    await expect(rows('{"a":1}\n{"a":\n', DatasetFormat.JSONL)).rejects.toThrow(/line 2: is not valid JSON/);
    await expect(rows('a\n', DatasetFormat.PARQUET)).rejects.toMatchObject({ code: 'unimplemented' });
  });
});
