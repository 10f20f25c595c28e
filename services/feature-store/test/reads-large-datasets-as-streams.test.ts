// Issue 11: a dataset blob over FLYWHEEL_FEATURE_STORE_DATASET_STREAM_BYTES (512 MiB by default —
// a text file beyond it does not fit one JavaScript string) is read as a stream, never whole in
// memory. Tested with small files and the threshold lowered: the streamed read never calls
// getBytes and yields exactly the table the whole-file read does, errors included. Parquet is
// never read whole, whatever its size.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type BlobStore, blobUri, createFsBlobs } from '@flywheel/blobs';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset } from '../src/datasets/dataset-files.ts';

const blobs = createFsBlobs({ dir: mkdtempSync(join(tmpdir(), 'flywheel-fs-stream-blobs-')) });
afterAll(() => blobs.close());

/** The blob store, refusing to hand out any blob whole. */
const streamOnly: BlobStore = {
  ...blobs,
  put: (source, options) => blobs.put(source, options),
  get: (sha256, options) => blobs.get(sha256, options),
  stat: (sha256, options) => blobs.stat(sha256, options),
  getBytes: async () => {
    throw new Error('getBytes called: the blob was read whole');
  },
};

const text = (s: string) => new TextEncoder().encode(s);

async function parquetFile(rows: number): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-fs-stream-parquet-'));
  const path = join(dir, 'rows.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT 's' || (i % 7) AS sensor, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_time,
            i * 0.5 AS value FROM range(${rows}) t(i)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
  );
  connection.closeSync();
  instance.closeSync();
  const { readFile } = await import('node:fs/promises');
  return new Uint8Array(await readFile(path));
}

describe('datasets over the stream threshold', () => {
  const cases: [string, DatasetFormat, () => Promise<Uint8Array>][] = [
    [
      'JSON Lines',
      DatasetFormat.JSONL,
      async () =>
        text(
          Array.from({ length: 3000 }, (_, i) =>
            JSON.stringify({ sensor: `s${i % 7}`, event_time: '2024-01-01T00:00:00Z', value: i, note: 'é✓' }),
          ).join('\n'),
        ),
    ],
    [
      'CSV',
      DatasetFormat.CSV,
      async () =>
        text(
          `sensor,event_time,value,note\n${Array.from({ length: 3000 }, (_, i) => `s${i % 7},2024-01-01T00:00:00Z,${i},"a ""quoted""\nnote ✓"`).join('\n')}\n`,
        ),
    ],
    ['Parquet', DatasetFormat.PARQUET, () => parquetFile(5000)],
  ];

  it.each(cases)('reads %s streamed, the same table as whole', async (_, format, file) => {
    const ref = await blobs.put(await file());
    const location = { uri: blobUri(ref.sha256), format };
    const whole = await readDataset(blobs, location, 'dataset');
    const streamed = await readDataset(streamOnly, location, 'dataset', {}, 1024);
    expect(streamed.rows.length).toBeGreaterThanOrEqual(3000);
    expect(streamed).toEqual(whole);
    // Below the threshold the same store reads JSON Lines and CSV whole; Parquet never (DuckDB reads a local file).
    const below = readDataset(streamOnly, location, 'dataset', {}, ref.size);
    if (format === DatasetFormat.PARQUET) expect(await below).toEqual(whole);
    else await expect(below).rejects.toThrow(/getBytes called/);
  });

  it('names the line of a malformed record and refuses bytes that are not UTF-8, as the whole read does', async () => {
    const bad = await blobs.put(text('{"a":1}\n{"a":2}\nnot json\n'));
    await expect(
      readDataset(streamOnly, { uri: blobUri(bad.sha256), format: DatasetFormat.JSONL }, 'dataset', {}, 0),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'line 3' });
    const latin1 = await blobs.put(new Uint8Array([0x61, 0x0a, 0xe9, 0x0a]));
    await expect(
      readDataset(streamOnly, { uri: blobUri(latin1.sha256), format: DatasetFormat.CSV }, 'dataset', {}, 0),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('not UTF-8') });
    await expect(
      readDataset(
        streamOnly,
        { uri: blobUri('0'.repeat(64)), format: DatasetFormat.JSONL },
        'dataset',
        {},
        0,
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
