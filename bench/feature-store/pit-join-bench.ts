// Point-in-time join, document (JSON Lines, joined in process) vs duckdb (Parquet, ASOF JOIN)
// offline store, same data, one run each. Usage: node bench/feature-store/pit-join-bench.ts
//   [lookups=100000] [entities=10000] [timesPerEntity=20] [features=10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobs } from '@flywheel/blobs';
import { createDuckDbOfflineStore } from '../../services/feature-store/src/storage/duckdb-offline-store.ts';
import {
  createOfflineStore,
  type OfflineStore,
} from '../../services/feature-store/src/storage/offline-store.ts';
import type { FeatureRowData } from '../../services/feature-store/src/values/feature-row-data.ts';

const [lookupCount = 100_000, entities = 10_000, timesPerEntity = 20, featureCount = 10] = process.argv
  .slice(2)
  .map(Number);
const hour = 3600_000;
const t0 = Date.parse('2024-01-01T00:00:00Z');
let state = 42;
const random = (n: number) => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state % n;
};

const history: FeatureRowData[] = [];
for (let e = 0; e < entities; e++) {
  for (let t = 0; t < timesPerEntity; t++) {
    const values: Record<string, number> = {};
    for (let f = 0; f < featureCount; f++) values[`f${f}`] = random(1_000_000) / 1000;
    history.push({ key: [e], timeMs: t0 + t * hour + random(hour), values });
  }
}
const lookups = Array.from({ length: lookupCount }, () => ({
  keyId: JSON.stringify([random(entities)]),
  timeMs: t0 + random(timesPerEntity * hour + hour),
}));
const ttlMs = 6 * hour;

type Blobs = ReturnType<typeof createFsBlobs>;

async function run(name: string, make: (dir: string, blobs: Blobs) => Promise<OfflineStore>) {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-pit-bench-'));
  const blobs = createFsBlobs({ dir: join(dir, 'blobs') });
  const store = await make(dir, blobs);
  let start = performance.now();
  const chunks = await store.writeChunks('bench', history);
  const writeMs = performance.now() - start;
  start = performance.now();
  const joined = await store.joinAsOf('bench', chunks, lookups, ttlMs);
  const joinMs = performance.now() - start;
  console.log(
    `${name.padEnd(8)} write ${history.length} rows ${(writeMs / 1000).toFixed(2)} s; join ${lookups.length} × ${featureCount} ${(joinMs / 1000).toFixed(2)} s; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  await store.close();
  await blobs.close();
  rmSync(dir, { recursive: true, force: true });
  return joined;
}

const document = await run('document', async (_dir, blobs) =>
  createOfflineStore({ blobs, chunkRows: 50_000 }),
);
const duckdb = await run('duckdb', (dir, blobs) =>
  createDuckDbOfflineStore({ blobs, chunkRows: 50_000, cacheDir: join(dir, 'parquet') }),
);
let differ = 0;
for (let i = 0; i < lookups.length; i++) {
  if (JSON.stringify(document[i]) !== JSON.stringify(duckdb[i])) differ++;
}
const matched = document.filter((r) => r !== undefined).length;
console.log(`rows with a match ${matched}/${lookups.length}; rows where the stores differ: ${differ}`);
