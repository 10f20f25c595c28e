// Offline store bench, document (JSON Lines, joined in process) vs duckdb (typed Parquet, ASOF JOIN),
// through the service's own use cases on one history, each store in its own process (peak RSS):
//   ingest   — WriteFeatureRows (OFFLINE) of the history in batches of `batch` rows
//   join     — point-in-time join of N lookups × `requested` features (OfflineStore.joinAsOf)
//   materialize — MaterializeFeatureViews of the whole history into an empty online store
// then compares the joins of the stores cell by cell.
//
// Usage: node bench/feature-store/pit-join-bench.ts [--stores=document,duckdb]
//   [--lookups=100000,1000000] [--entities=10000] [--rows=100] [--features=50] [--requested=10]
//   [--batch=100000] [--src=services/feature-store/src]   (--src: the service sources to bench,
//   e.g. an older checkout extracted with `git archive`, for before/after numbers)
// Store settings: FLYWHEEL_FEATURE_STORE_DUCKDB_THREADS / _MEMORY_LIMIT as the service reads them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createFsBlobs } from '@flywheel/blobs';
import { silentLogger } from '@flywheel/core';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  MaterializeRequestSchema,
  WriteTarget,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createEmbeddedStore } from '@flywheel/store';
import { benchFlags, historyBatches, historyStartMs, hourMs, seededInts } from './bench-history.ts';

const args = benchFlags();
const num = args.num;
const stores = (args.get('stores') ?? 'document,duckdb').split(',');
const lookupCounts = (args.get('lookups') ?? '100000,1000000').split(',').map(Number);
const entities = num('entities', 10_000);
const rowsPerEntity = num('rows', 100);
const featureCount = num('features', 50);
const requestedCount = num('requested', 10);
const batchRows = num('batch', 100_000);
const src = resolve(
  args.get('src') ?? fileURLToPath(new URL('../../services/feature-store/src', import.meta.url)),
);
const hour = hourMs;
const t0 = historyStartMs;
const ttlMs = 6 * hour;
const view = 'bench';
const featureNames = Array.from({ length: featureCount }, (_, f) => `f${f}`);
const stride = Math.max(1, Math.floor(featureCount / requestedCount));
const requested = Array.from(
  { length: requestedCount },
  (_, i) => featureNames[(i * stride) % featureCount]!,
);

function lookupsOf(count: number) {
  const random = seededInts(count);
  return Array.from({ length: count }, () => ({
    keyId: JSON.stringify([random(entities)]),
    timeMs: t0 + random(rowsPerEntity * hour + hour),
  }));
}

const peakMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function child(store: string, resultDir: string) {
  const load = (path: string) => import(pathToFileURL(join(src, path)).href);
  const { createOfflineStore } = await load('storage/offline-store.ts');
  const { createDuckDbOfflineStore } = await load('storage/duckdb-offline-store.ts');
  const { openCollections } = await load('storage/feature-store-collections.ts');
  const { createOnlineStore } = await load('storage/online-store.ts');
  const { createWriteFeatureRows } = await load('use-cases/write-feature-rows.ts');
  const { createMaterializeFeatureViews } = await load('use-cases/materialize-feature-views.ts');

  const dir = mkdtempSync(join(tmpdir(), 'flywheel-pit-bench-'));
  const blobs = createFsBlobs({ dir: join(dir, 'blobs') });
  const documents = await createEmbeddedStore({ dir: join(dir, 'store') });
  const collections = openCollections(documents);
  const threads = process.env.FLYWHEEL_FEATURE_STORE_DUCKDB_THREADS;
  const memoryLimit = process.env.FLYWHEEL_FEATURE_STORE_DUCKDB_MEMORY_LIMIT;
  const offline =
    store === 'duckdb'
      ? await createDuckDbOfflineStore({
          blobs,
          chunkRows: 50_000,
          cacheDir: join(dir, 'parquet'),
          ...(threads ? { threads: Number(threads) } : {}),
          memoryLimit: memoryLimit ?? '512MB',
        })
      : createOfflineStore({ blobs, chunkRows: 50_000 });
  const online = createOnlineStore(collections.online);
  const log = silentLogger;
  const now = new Date().toISOString();
  const record = {
    name: view,
    team: 'bench',
    description: '',
    entityName: 'entity',
    joinKeys: [{ name: 'entity_id', valueType: ValueType.INT64 }],
    features: featureNames.map((name) => ({
      name,
      valueType: ValueType.DOUBLE,
      description: '',
      labels: [],
    })),
    ttlMs,
    source: null,
    online: true,
    labels: [],
    expectations: [],
    datasetName: '',
    revision: 1,
    createTime: now,
    updateTime: now,
  };
  await collections.views.put(view, record);
  const write = createWriteFeatureRows({ collections, offline, online, log });
  const out: Record<string, number | string> = { store };

  let start = performance.now();
  let rows = 0;
  for (const batch of historyBatches({ entities, rowsPerEntity, featureNames, batchRows, nullOneIn: 100 })) {
    rows += batch.length;
    await write(record, batch, WriteTarget.OFFLINE, undefined);
  }
  out.ingestS = (performance.now() - start) / 1000;
  out.ingestRowsPerS = Math.round(rows / out.ingestS);
  out.historyRows = rows;
  out.peakMiBAfterIngest = peakMiB();
  const chunks = (await collections.viewData.get(view))!.data.chunks;

  for (const count of lookupCounts) {
    const lookups = lookupsOf(count);
    start = performance.now();
    const joined = await offline.joinAsOf(view, chunks, lookups, ttlMs, { features: requested });
    out[`join${count}S`] = (performance.now() - start) / 1000;
    out[`peakMiBAfterJoin${count}`] = peakMiB();
    // Cell states: 0 no value (no row, or the row did not set it), 1 null, 2 a number (in `values`).
    const state = new Uint8Array(count * requested.length);
    const values = new Float64Array(count * requested.length);
    for (let i = 0; i < count; i++) {
      const found = joined[i];
      for (const [f, name] of requested.entries()) {
        const v = found?.[name];
        const at = i * requested.length + f;
        state[at] = v === undefined ? 0 : v === null ? 1 : 2;
        if (typeof v === 'number') values[at] = v;
      }
    }
    writeFileSync(join(resultDir, `${store}-${count}.state`), state);
    writeFileSync(join(resultDir, `${store}-${count}.values`), new Uint8Array(values.buffer));
  }

  const materialize = createMaterializeFeatureViews({
    collections,
    offline,
    online,
    ingestBatchSource: async () => {},
  });
  start = performance.now();
  const [result] = await materialize(
    create(MaterializeRequestSchema, {
      featureViewNames: [view],
      endTime: { seconds: BigInt(t0 / 1000 + 1e6) },
    }),
  );
  out.materializeS = (performance.now() - start) / 1000;
  out.materializedEntities = Number(result?.rowsWritten ?? 0);
  out.peakMiB = peakMiB();
  await offline.close();
  await documents.close();
  await blobs.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
}

if (args.has('child')) {
  await child(args.get('child')!, args.get('results')!);
} else {
  const resultDir = mkdtempSync(join(tmpdir(), 'flywheel-pit-results-'));
  console.log(
    `history ${entities} entities × ${rowsPerEntity} rows × ${featureCount} features; join ${requested.length} features, TTL 6 h; lookups ${lookupCounts.join(', ')}; src ${src}`,
  );
  for (const store of stores) {
    const line = execFileSync(
      process.execPath,
      [
        '--max-old-space-size=16384',
        fileURLToPath(import.meta.url),
        ...process.argv.slice(2),
        `--child=${store}`,
        `--results=${resultDir}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    console.log(line.trim());
  }
  if (stores.length === 2) {
    for (const count of lookupCounts) {
      const read = (store: string, ext: string) => readFileSync(join(resultDir, `${store}-${count}.${ext}`));
      const [a, b] = stores as [string, string];
      const sa = read(a, 'state');
      const sb = read(b, 'state');
      const va = new Float64Array(new Uint8Array(read(a, 'values')).buffer);
      const vb = new Float64Array(new Uint8Array(read(b, 'values')).buffer);
      let differ = 0;
      let withValue = 0;
      for (let i = 0; i < sa.length; i++) {
        if (sa[i] === 2) withValue++;
        if (sa[i] !== sb[i] || (sa[i] === 2 && !Object.is(va[i], vb[i]))) differ++;
      }
      console.log(
        `${count} lookups: ${sa.length} cells, ${withValue} with a value; cells where ${a} and ${b} differ: ${differ}`,
      );
    }
  }
  rmSync(resultDir, { recursive: true, force: true });
}
