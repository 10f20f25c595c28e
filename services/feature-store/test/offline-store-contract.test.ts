import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type BlobStore, createFsBlobs } from '@flywheel/blobs';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetRows } from '../src/datasets/dataset-rows.ts';
import { readParquetFile } from '../src/datasets/parquet-table.ts';
import { createDuckDbOfflineStore } from '../src/storage/duckdb-offline-store.ts';
import type { ChunkRef } from '../src/storage/offline-records.ts';
import { createOfflineStore, type OfflineStore } from '../src/storage/offline-store.ts';
import { type EntityUpdate, latestPerEntity } from '../src/storage/online-store.ts';
import type { FeatureRowData } from '../src/values/feature-row-data.ts';
import type { FeatureViewRecord } from '../src/values/feature-view-records.ts';
import { offlineStores } from './feature-store-harness.ts';

/** Deterministic pseudo-random integers in [0, n). */
function seeded(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

/** By the definition: the last-written row of the entity with the greatest time ≤ lookup, within TTL. */
function fullScan(
  batches: FeatureRowData[][],
  lookup: { key: number; timeMs: number },
  ttlMs: number | null,
) {
  let best: FeatureRowData | undefined;
  for (const batch of batches) {
    // Within a batch the store orders rows by time, stably: equal times keep their order.
    for (const row of batch) {
      if (row.key[0] !== lookup.key || row.timeMs > lookup.timeMs) continue;
      if (ttlMs !== null && row.timeMs < lookup.timeMs - ttlMs) continue;
      if (!best || row.timeMs >= best.timeMs) best = row;
    }
  }
  return best?.values;
}

describe.each(offlineStores)('the %s offline store', (kind) => {
  let blobs: BlobStore;
  let store: OfflineStore;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-offline-contract-'));
    blobs = createFsBlobs({ dir: join(dir, 'blobs') });
    const options = { blobs, chunkRows: 7 };
    store =
      kind === 'duckdb'
        ? await createDuckDbOfflineStore({ ...options, cacheDir: join(dir, 'parquet') })
        : createOfflineStore(options);
  });
  afterAll(async () => {
    await store?.close();
    await blobs?.close();
  });

  it('joins as of each lookup like a full scan: ties across chunks and batches, TTLs, nulls', async () => {
    const random = seeded(7);
    for (let round = 0; round < 12; round++) {
      const view = `v${round}`;
      const entities = 1 + random(5);
      const batches = Array.from({ length: 1 + random(4) }, () =>
        Array.from({ length: random(40) }, (): FeatureRowData => {
          const values: Record<string, number | string | null> = {};
          if (random(4) > 0) values.a = random(5) === 0 ? null : random(1000) / 8;
          if (random(2) > 0) values.b = `s${random(50)}`;
          return { key: [random(entities)], timeMs: random(60), values };
        }),
      );
      const chunks = [];
      for (const batch of batches) chunks.push(...(await store.writeChunks(view, batch)));
      const lookups = Array.from({ length: random(60) }, () => ({
        key: random(entities + 1),
        timeMs: random(70),
      }));
      const ttlMs = random(2) === 0 ? null : random(20);
      const joined = await store.joinAsOf(
        view,
        chunks,
        lookups.map((l) => ({ keyId: JSON.stringify([l.key]), timeMs: l.timeMs })),
        ttlMs,
      );
      expect(joined).toEqual(lookups.map((lookup) => fullScan(batches, lookup, ttlMs)));
    }
  });

  it('answers only the requested features, the same joined whole or in column slices', async () => {
    const rows: FeatureRowData[] = [
      { key: [1], timeMs: 10, values: { a: 1.5, b: 'x', c: true } },
      { key: [1], timeMs: 20, values: { a: null, b: 'y' } },
      { key: [2], timeMs: 10, values: { a: [1, 2], c: false } },
    ];
    const chunks = await store.writeChunks('some', rows);
    const lookups = ['[1]', '[2]', '[3]'].map((keyId) => ({ keyId, timeMs: 30 }));
    const features = ['a', 'c', 'missing'];
    const joined = await store.joinAsOf('some', chunks, lookups, null, { features });
    expect(joined).toEqual([{ a: null }, { a: [1, 2], c: false }, undefined]);
    const sliced: (typeof joined)[number][] = lookups.map(() => undefined);
    for await (const slice of store.joinAsOfChunks('some', chunks, lookups, null, { features })) {
      expect([...slice.values.keys()]).toEqual(features);
      for (let i = 0; i < slice.lookupIndexes.length; i++) {
        const values: Record<string, unknown> = {};
        for (const [name, column] of slice.values) if (column[i] !== undefined) values[name] = column[i];
        sliced[slice.lookupIndexes[i]!] = values as (typeof joined)[number];
      }
    }
    expect(sliced).toEqual(joined);
  });

  it('writes the join of a Parquet frame to a Parquet file with the cells of joinAsOf (duckdb only)', async () => {
    if (kind === 'document') {
      expect(store.writeJoinedFile).toBeUndefined();
      return;
    }
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const random = seeded(13);
    const features = [
      { name: 'a', valueType: ValueType.DOUBLE },
      { name: 'b', valueType: ValueType.STRING },
      { name: 'c', valueType: ValueType.BOOL },
    ];
    const planOf = (view: string, chunks: ChunkRef[], ttlMs: number | null, round: string) => ({
      framePath: join(dir, `frame-${round}.parquet`),
      joinKeys: [{ name: 'id', valueType: ValueType.INT64 }],
      reserved: new Set(['id', 'event_time', ...features.map((f) => `${view}:${f.name}`)]),
      views: [{ name: view, chunks, ttlMs, joinKeys: ['id'] }],
      features: features.map((f) => ({ ...f, ref: `${view}:${f.name}`, view })),
      outPath: join(dir, `joined-${round}.parquet`),
    });
    for (let round = 0; round < 6; round++) {
      const view = `j${round}`;
      const entities = 1 + random(5);
      const chunks: ChunkRef[] = [];
      for (let batch = 0; batch < 1 + random(4); batch++) {
        const rows = Array.from({ length: random(40) }, (): FeatureRowData => {
          const values: Record<string, number | string | boolean | null> = {};
          if (random(4) > 0) values.a = random(5) === 0 ? null : random(1000) / 8;
          if (random(2) > 0) values.b = `s${random(50)}`;
          if (random(3) > 0) values.c = random(2) === 0;
          return { key: [random(entities)], timeMs: 1_700_000_000_000 + random(60), values };
        });
        chunks.push(...(await store.writeChunks(view, rows)));
      }
      const lookups = Array.from({ length: 1 + random(60) }, (_, i) => ({
        key: random(entities + 1),
        timeMs: 1_700_000_000_000 + random(70),
        note: i % 3 === 0 ? null : `n${i}`,
      }));
      const ttlMs = random(2) === 0 ? null : random(20);
      const plan = planOf(view, chunks, ttlMs, String(round));
      await duck.run(
        `COPY (SELECT * FROM (VALUES ${lookups
          .map(
            (l) =>
              `(${l.key}::BIGINT, epoch_ms(${l.timeMs}::BIGINT), ${l.note === null ? 'NULL' : `'${l.note}'`})`,
          )
          .join(', ')}) v(id, event_time, note)) TO '${plan.framePath}' (FORMAT parquet)`,
      );
      const written = await store.writeJoinedFile!(plan);
      expect(written).toEqual({
        rows: lookups.length,
        minTimeMs: Math.min(...lookups.map((l) => l.timeMs)),
        maxTimeMs: Math.max(...lookups.map((l) => l.timeMs)),
        passThrough: ['note'],
      });
      const joined = await store.joinAsOf(
        view,
        chunks,
        lookups.map((l) => ({ keyId: JSON.stringify([l.key]), timeMs: l.timeMs })),
        ttlMs,
      );
      const read = await duck.runAndReadAll(
        `SELECT id, epoch_ms(event_time), note, "${view}:a", "${view}:b", "${view}:c" FROM '${plan.outPath}'`,
      );
      expect(read.columnTypes().map(String)).toEqual([
        'BIGINT',
        'BIGINT',
        'VARCHAR',
        'DOUBLE',
        'VARCHAR',
        'BOOLEAN',
      ]);
      expect(read.getRows()).toEqual(
        lookups.map((l, i) => [
          BigInt(l.key),
          BigInt(l.timeMs),
          l.note,
          joined[i]?.a ?? null,
          joined[i]?.b ?? null,
          joined[i]?.c ?? null,
        ]),
      );
    }
    // String keys: entity ids are their JSON text, as in history.
    const keys = ['a"b', 'é/ü\\', 'plain'];
    const stringChunks = await store.writeChunks(
      'jstr',
      keys.map((key, i) => ({ key: [key], timeMs: 1_000 + i, values: { a: i } })),
    );
    const stringPlan = {
      ...planOf('jstr', stringChunks, null, 'strings'),
      joinKeys: [{ name: 'id', valueType: ValueType.STRING }],
      features: [{ name: 'a', valueType: ValueType.DOUBLE, ref: 'jstr:a', view: 'jstr' }],
    };
    const sql = (text: string) => `'${text.replaceAll("'", "''")}'`;
    await duck.run(
      `COPY (SELECT * FROM (VALUES ${[...keys, 'absent']
        .map((key) => `(${sql(key)}, epoch_ms(5000))`)
        .join(', ')}) v(id, event_time)) TO '${stringPlan.framePath}' (FORMAT parquet)`,
    );
    expect(await store.writeJoinedFile!(stringPlan)).toMatchObject({ rows: 4 });
    const strings = await duck.runAndReadAll(`SELECT id, "jstr:a" FROM '${stringPlan.outPath}'`);
    expect(strings.getRows()).toEqual([...keys.map((key, i) => [key, i]), ['absent', null]]);
    // A control character is spelled differently by DuckDB's JSON: left to the in-process path.
    await duck.run(
      `COPY (SELECT 'x' || chr(31) AS id, epoch_ms(5000) AS event_time) TO '${stringPlan.framePath}' (FORMAT parquet)`,
    );
    expect(
      await store.writeJoinedFile!({ ...stringPlan, outPath: join(dir, 'refused-strings.parquet') }),
    ).toBeUndefined();

    // A frame with a null key, or without event_time, is left to the in-process path: no file.
    const refused = planOf('j0', [], null, 'refused');
    for (const select of [`NULL::BIGINT AS id, epoch_ms(0) AS event_time`, `1::BIGINT AS id, 2 AS t`]) {
      await duck.run(`COPY (SELECT ${select}) TO '${refused.framePath}' (FORMAT parquet)`);
      expect(await store.writeJoinedFile!(refused)).toBeUndefined();
      expect(existsSync(refused.outPath)).toBe(false);
    }
    duck.closeSync();
  });

  it('gives per entity the latest value of each feature in a window, like latestPerEntity of the rows', async () => {
    const random = seeded(11);
    for (let round = 0; round < 8; round++) {
      const view = `w${round}`;
      const batches = Array.from({ length: 1 + random(3) }, () =>
        Array.from({ length: random(30) }, (): FeatureRowData => {
          const values: Record<string, number | string | boolean | number[] | null> = {};
          if (random(3) > 0) values.a = random(4) === 0 ? null : random(100) / 4;
          if (random(2) > 0) values.b = random(3) === 0 ? [random(9)] : `s${random(9)}`;
          if (random(2) > 0) values.c = random(2) === 0;
          return { key: [random(4)], timeMs: random(50), values };
        }),
      );
      const chunks = [];
      for (const batch of batches) chunks.push(...(await store.writeChunks(view, batch)));
      const fromMs = random(2) === 0 ? null : random(25);
      const toMs = 25 + random(30);
      const history = (await store.readHistory(view, chunks)).filter(
        (r) => (fromMs === null || r.timeMs >= fromMs) && r.timeMs < toMs,
      );
      const expected = latestPerEntity(history);
      const got = [];
      for await (const batch of store.latestInWindow(view, chunks, fromMs, toMs, { batchEntities: 2 })) {
        expect(batch.length).toBeLessThanOrEqual(2);
        got.push(...batch);
      }
      const byKey = (u: { key: readonly unknown[] }) => JSON.stringify(u.key);
      expect(new Map(got.map((u) => [byKey(u), u.features]))).toEqual(
        new Map(expected.map((u) => [byKey(u), u.features])),
      );
      expect(got.length).toBe(expected.length);
    }
  });

  it('writes a Parquet dataset as the chunks writeChunks makes of its rows, or declines (duckdb only)', async () => {
    if (!store.writeDatasetChunks) {
      expect(kind).toBe('document');
      return;
    }
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const file = (name: string) => join(dir, `${name}.parquet`);
    const write = (name: string, select: string) =>
      connection.run(`COPY (${select}) TO '${file(name)}' (FORMAT parquet)`);
    // 30 rows of 5 stations over 10 times (ties within a chunk and across), sub-ms times rounding
    // up, nulls in every feature (the last chunk's text all null), an INT64, a FLOAT and a DECIMAL column;
    // chunkRows 7 makes 5 chunks, byte for byte those of the rows.
    await write(
      'good',
      `SELECT 's' || (i % 5) AS station, i % 3 AS shelf,
              TIMESTAMP '2024-01-01' + INTERVAL (i % 10) MINUTE + INTERVAL (i % 4) MICROSECOND AS ts,
              CASE WHEN i % 6 = 0 THEN NULL ELSE i / 8 END::DOUBLE AS temp,
              CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1000000000 END::BIGINT AS count,
              (i / 4)::FLOAT AS wind, (i / 3)::DECIMAL(9, 3) AS rain, i % 2 = 0 AS dry, CASE WHEN i % 5 = 0 OR i % 10 = 9 THEN NULL ELSE 'n' || i END AS note,
              'ignored' AS extra
       FROM range(30) t(i)`,
    );
    const view = {
      name: 'dataset',
      joinKeys: [
        { name: 'station', valueType: ValueType.STRING },
        { name: 'shelf', valueType: ValueType.INT64 },
      ],
      features: [
        { name: 'temp', valueType: ValueType.DOUBLE },
        { name: 'count', valueType: ValueType.INT64 },
        { name: 'wind', valueType: ValueType.FLOAT },
        { name: 'rain', valueType: ValueType.DOUBLE },
        { name: 'dry', valueType: ValueType.BOOL },
        { name: 'label', valueType: ValueType.STRING },
        { name: 'absent', valueType: ValueType.DOUBLE },
      ],
      source: { fieldMapping: [['note', 'label']], timestampField: 'ts' },
    } as unknown as FeatureViewRecord;
    const plan = (name: string, latestMs = Date.parse('2030-01-01')) => ({
      view: view.name,
      path: file(name),
      keys: [
        { column: 'station', valueType: ValueType.STRING },
        { column: 'shelf', valueType: ValueType.INT64 },
      ],
      timeColumn: 'ts',
      features: view.features.map((f) => ({
        column: f.name === 'label' ? 'note' : f.name,
        name: f.name,
        valueType: f.valueType,
      })),
      latestMs,
    });
    const rows = datasetRows(view, await readParquetFile(file('good'), 'dataset'), {
      nowMs: Date.parse('2030-01-01'),
      skewMs: 0,
    });
    const expected = await store.writeChunks(view.name, rows);
    const written = await store.writeDatasetChunks(plan('good'));
    expect(written).toMatchObject({
      rows: 30,
      minTimeMs: Date.parse('2024-01-01T00:00:00Z'),
      maxTimeMs: Date.parse('2024-01-01T00:09:00.001Z'),
    });
    expect(written!.chunks.map(({ rows, minTimeMs, maxTimeMs }) => ({ rows, minTimeMs, maxTimeMs }))).toEqual(
      expected.map(({ rows, minTimeMs, maxTimeMs }) => ({ rows, minTimeMs, maxTimeMs })),
    );
    expect(written!.chunks, 'the same bytes').toEqual(expected);
    const strip = (history: { keyId: string; timeMs: number; values: object }[]) =>
      history.map(({ keyId, timeMs, values }) => ({ keyId, timeMs, values }));
    expect(strip(await store.readHistory(view.name, written!.chunks))).toEqual(
      strip(await store.readHistory(view.name, expected)),
    );
    // Materialize's first pass reads the file in place: the same latest values as from its chunks.
    const latestFromFile = async (name: string, fromMs: number | null, toMs: number, latestMs?: number) => {
      const got: EntityUpdate[] = [];
      const taken = await store.latestInDatasetFile!(
        plan(name, latestMs),
        fromMs,
        toMs,
        async (updates) => {
          got.push(...updates);
        },
        { batchEntities: 4 },
      );
      return taken && { rows: taken.rows, updates: got };
    };
    const byKeyId = (updates: readonly EntityUpdate[]) =>
      new Map(updates.map((u) => [JSON.stringify(u.key), u.features]));
    const minute = (m: number) => Date.parse('2024-01-01T00:00:00Z') + m * 60_000;
    for (const [fromMs, toMs] of [
      [null, Date.parse('2030-01-01')],
      [minute(3), minute(7)],
      [minute(2), minute(2) + 1],
      [minute(20), minute(30)],
    ] as const) {
      const fromChunks: EntityUpdate[] = [];
      for await (const updates of store.latestInWindow(view.name, written!.chunks, fromMs, toMs)) {
        fromChunks.push(...updates);
      }
      const fromFile = await latestFromFile('good', fromMs, toMs);
      expect(fromFile?.rows, `[${fromMs}, ${toMs})`).toBe(30);
      expect(byKeyId(fromFile!.updates), `[${fromMs}, ${toMs})`).toEqual(byKeyId(fromChunks));
      expect(fromFile!.updates.length).toBe(fromChunks.length);
    }
    // Anything the row reader would refuse (or that is not the plain case) is declined, unwritten.
    const declined = {
      'null-key': `SELECT NULL::VARCHAR AS station, 1 AS shelf, TIMESTAMP '2024-01-01' AS ts, 1.0 AS temp`,
      'quoted-key': `SELECT 'a"b' AS station, 1 AS shelf, TIMESTAMP '2024-01-01' AS ts, 1.0 AS temp`,
      'text-double': `SELECT 'a' AS station, 1 AS shelf, TIMESTAMP '2024-01-01' AS ts, 'warm' AS temp`,
      'nan-double': `SELECT 'a' AS station, 1 AS shelf, TIMESTAMP '2024-01-01' AS ts, 'nan'::DOUBLE AS temp`,
      'text-time': `SELECT 'a' AS station, 1 AS shelf, '2024-01-01T00:00:00Z' AS ts, 1.0 AS temp`,
      'no-key': `SELECT 1 AS shelf, TIMESTAMP '2024-01-01' AS ts, 1.0 AS temp`,
      'no-feature': `SELECT 'a' AS station, 1 AS shelf, TIMESTAMP '2024-01-01' AS ts`,
      huge: `SELECT 'a' AS station, 1 AS shelf, TIMESTAMP '2024-01-01' AS ts, 9007199254740993 AS count`,
    };
    for (const [name, select] of Object.entries(declined)) {
      await write(name, select);
      expect(await store.writeDatasetChunks(plan(name)), name).toBeUndefined();
      expect(await latestFromFile(name, null, Date.parse('2030-01-01')), name).toBeUndefined();
    }
    expect(await store.writeDatasetChunks(plan('good', Date.parse('2024-01-01T00:09:00Z')))).toBeUndefined();
    // Every row is checked, not only the window's: a late row outside it still declines the file.
    expect(await latestFromFile('good', null, minute(1), Date.parse('2024-01-01T00:09:00Z'))).toBeUndefined();
    connection.closeSync();
    duck.closeSync();
  });

  it('reads history back in write order and content-addresses chunks', async () => {
    const rows: FeatureRowData[] = [
      { key: ['x', 1], timeMs: 20, values: { f: 1 } },
      { key: ['x', 1], timeMs: 10, values: { f: [1, 2] } },
      { key: ['y', 2], timeMs: 20, values: { f: null, g: true } },
    ];
    const first = await store.writeChunks('history', rows);
    expect(await store.writeChunks('history', rows)).toEqual(first);
    const history = await store.readHistory('history', first);
    expect(history.map((r) => [r.key, r.keyId, r.timeMs, r.values, r.seq])).toEqual([
      [['x', 1], '["x",1]', 10, { f: [1, 2] }, 0],
      [['x', 1], '["x",1]', 20, { f: 1 }, 1],
      [['y', 2], '["y",2]', 20, { f: null, g: true }, 2],
    ]);
    expect(await store.joinAsOf('history', [], [{ keyId: '["x",1]', timeMs: 30 }], null)).toEqual([
      undefined,
    ]);
  });

  it('refuses a chunk of another view as data loss, and a deleted chunk as not found', async () => {
    const chunks = await store.writeChunks('mine', [{ key: [1], timeMs: 1, values: { f: 1 } }]);
    const lookups = [{ keyId: '[1]', timeMs: 5 }];
    await expect(store.joinAsOf('theirs', chunks, lookups, null)).rejects.toMatchObject({
      code: 'data_loss',
    });
    await store.deleteChunks(chunks);
    await expect(store.joinAsOf('mine', chunks, lookups, null)).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
