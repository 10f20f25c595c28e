// Peak memory of a large training set written by the duckdb offline store itself
// (OfflineStore.writeJoinedFile, what CreateTrainingSet runs for a Parquet frame → Parquet set):
//   1. a child process writes the history (entities × rows × features, DOUBLE) as offline chunks;
//   2. a fresh child process joins an entity frame of N rows (Parquet, made by DuckDB) to it and
//      streams the answer file into the blob store, then reports its peak RSS (VmHWM) — the
//      Node process and DuckDB together, with DuckDB's memory_limit as the service sets it.
// Usage: node bench/feature-store/training-set-rss.ts [--frame=10000000] [--entities=10000]
//   [--rows=100] [--features=10] [--memory-limit=512MB] [--threads=0]
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createFsBlobs } from '@flywheel/blobs';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { createDuckDbOfflineStore } from '../../services/feature-store/src/storage/duckdb-offline-store.ts';
import type { ChunkRef } from '../../services/feature-store/src/storage/offline-records.ts';
import { benchFlags, historyBatches, historyStartMs, hourMs } from './bench-history.ts';

const args = benchFlags();
const num = args.num;
const frameRows = num('frame', 10_000_000);
const entities = num('entities', 10_000);
const rowsPerEntity = num('rows', 100);
const featureCount = num('features', 10);
const memoryLimit = args.get('memory-limit') ?? '512MB';
const threads = num('threads', 0);
const hour = hourMs;
const t0 = historyStartMs;
const view = 'bench';

const peakRssMb = () => {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
};

const openStore = (dir: string) =>
  createDuckDbOfflineStore({
    blobs: createFsBlobs({ dir: join(dir, 'blobs') }),
    chunkRows: 50_000,
    cacheDir: join(dir, 'parquet'),
    memoryLimit,
    ...(threads > 0 ? { threads } : {}),
  });

const phase = args.get('phase');
if (phase === 'history') {
  const dir = args.get('dir')!;
  const store = await openStore(dir);
  const refs: ChunkRef[] = [];
  const featureNames = Array.from({ length: featureCount }, (_, f) => `f${f}`);
  for (const batch of historyBatches({ entities, rowsPerEntity, featureNames, batchRows: 10 * entities }))
    refs.push(...(await store.writeChunks(view, batch)));
  writeFileSync(join(dir, 'chunks.json'), JSON.stringify(refs));
  await store.close();
} else if (phase === 'join') {
  const dir = args.get('dir')!;
  const store = await openStore(dir);
  const chunks = JSON.parse(readFileSync(join(dir, 'chunks.json'), 'utf8')) as ChunkRef[];
  const before = peakRssMb();
  const begin = performance.now();
  const outPath = join(dir, 'training-set.parquet');
  const written = await store.writeJoinedFile!({
    framePath: join(dir, 'frame.parquet'),
    joinKeys: [{ name: 'entity_id', valueType: ValueType.INT64 }],
    reserved: new Set(['entity_id', 'event_time']),
    views: [{ name: view, chunks, ttlMs: 2 * hour, joinKeys: ['entity_id'] }],
    features: Array.from({ length: featureCount }, (_, f) => ({
      ref: `${view}:f${f}`,
      view,
      name: `f${f}`,
      valueType: ValueType.DOUBLE,
    })),
    outPath,
  });
  const joinedS = (performance.now() - begin) / 1000;
  const blob = await createFsBlobs({ dir: join(dir, 'blobs') }).put(createReadStream(outPath));
  console.log(
    JSON.stringify({
      rows: written?.rows,
      joinS: Number(joinedS.toFixed(1)),
      totalS: Number(((performance.now() - begin) / 1000).toFixed(1)),
      answerMb: Math.round(statSync(outPath).size / 2 ** 20),
      blob: blob.sha256.slice(0, 12),
      rssBeforeMb: Math.round(before),
      peakRssMb: Math.round(peakRssMb()),
    }),
  );
  await store.close();
} else {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-training-set-rss-'));
  const self = new URL(import.meta.url).pathname;
  const run = (...extra: string[]) =>
    execFileSync(process.execPath, [self, ...process.argv.slice(2), `--dir=${dir}`, ...extra], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  let begin = performance.now();
  run('--phase=history');
  console.log(
    `history: ${entities * rowsPerEntity} rows × ${featureCount} features written in ${((performance.now() - begin) / 1000).toFixed(1)} s`,
  );
  begin = performance.now();
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`COPY (SELECT i::BIGINT AS row_id, (hash(i, 1) % ${entities})::BIGINT AS entity_id,
    epoch_ms(${t0} + (hash(i, 2) % ${rowsPerEntity * hour})::BIGINT) AS event_time FROM range(${frameRows}) r(i))
    TO '${join(dir, 'frame.parquet')}' (FORMAT parquet)`);
  duck.closeSync();
  console.log(`frame: ${frameRows} rows in ${((performance.now() - begin) / 1000).toFixed(1)} s`);
  console.log(`join (memory_limit ${memoryLimit}): ${run('--phase=join').trim()}`);
  rmSync(dir, { recursive: true, force: true });
}
