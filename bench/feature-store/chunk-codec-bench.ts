// Which Parquet codec for the duckdb offline store's chunks: writes one chunk-shaped table
// (`rows` × `features` DOUBLE columns, `key` VARCHAR, `event_time_ms` BIGINT — the layout of
// parquet-chunk-layout.ts) with each codec, `reps` times, in rounds that alternate the order (the
// box is shared: a single pass is noise), and reads it back with a Materialize-like GROUP BY.
//   node bench/feature-store/chunk-codec-bench.ts [rows=50000] [features=50] [reps=8]
import { rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [rows = 50_000, features = 50, reps = 8] = process.argv.slice(2).map(Number);
const db = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
const columns = Array.from(
  { length: features },
  (_, f) => `(hash(i, ${f}) % 1000000)::DOUBLE / 1000 AS "d:f${f}"`,
);
await db.run(`CREATE TABLE chunk AS SELECT ('[' || (i % 10000) || ']')::VARCHAR AS key,
  (1700000000000 + i * 360)::BIGINT AS event_time_ms, ${columns.join(', ')} FROM range(${rows}) r(i)`);
// Each codec, and LZ4 with no dictionary pages (DuckDB tries a dictionary per column first and
// drops it when values are mostly distinct, as measured features are: wasted work per chunk).
const variants: Record<string, string> = {
  zstd: 'COMPRESSION zstd',
  snappy: 'COMPRESSION snappy',
  lz4: 'COMPRESSION lz4',
  'lz4, no dictionary': 'COMPRESSION lz4, DICTIONARY_SIZE_LIMIT 1',
  uncompressed: 'COMPRESSION uncompressed',
};
const codecs = Object.keys(variants);
const times = new Map(codecs.map((c) => [c, { write: [] as number[], read: [] as number[], bytes: 0 }]));
for (let round = 0; round < 3; round++) {
  const order = round % 2 === 0 ? codecs : [...codecs].reverse();
  for (const codec of order) {
    const path = join(tmpdir(), `chunk-codec-${process.pid}-${codec.replaceAll(/\W+/g, '-')}.parquet`);
    const t = times.get(codec)!;
    let begin = performance.now();
    for (let k = 0; k < reps; k++)
      await db.run(`COPY chunk TO '${path}' (FORMAT parquet, ${variants[codec]})`);
    t.write.push((performance.now() - begin) / reps);
    begin = performance.now();
    for (let k = 0; k < reps; k++)
      await db.run(
        `SELECT key, arg_max("d:f1", event_time_ms), arg_max("d:f7", event_time_ms) FROM '${path}' GROUP BY key`,
      );
    t.read.push((performance.now() - begin) / reps);
    t.bytes = statSync(path).size;
    rmSync(path, { force: true });
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `${rows} rows × ${features} DOUBLE, ${reps} reps × 3 rounds, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('| codec | write ms (median, min–max) | read ms (median) | bytes |\n| --- | --- | --- | --- |');
for (const [codec, t] of times)
  console.log(
    `| ${codec} | ${median(t.write).toFixed(0)} (${Math.min(...t.write).toFixed(0)}–${Math.max(...t.write).toFixed(0)}) | ${median(t.read).toFixed(0)} | ${t.bytes} |`,
  );
