// Flywheel's feature store vs Feast (local provider, DuckDB offline store on Parquet, sqlite
// online store, `feast serve`) on the same generated data, side by side in one run. Usage:
//   FEAST_PYTHON=$(bench/feature-store/setup-feast.sh) node --max-old-space-size=12288 \
//     bench/feature-store/feast-bench.ts [entities=10000] [rowsPerEntity=100] [features=50]
// Env: PIT_SIZES=100000,1000000  PIT_ROUNDS=1 (rounds alternate Feast / Flywheel; medians)  INGEST_ROWS=1000000
//      FEAST_INGEST_BATCH=100000  ONLINE_REQUESTS=2000  ONLINE_CONCURRENT_REQUESTS=500
//      STEPS=materialize,pit,ingest,online (a subset skips the others; materialize always runs first)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { DuckDBInstance } from '@duckdb/node-api';
import { blobUri, createFsBlobs } from '@flywheel/blobs';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStoreService,
  WriteTarget,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { startFeatureStoreProcess } from './feature-store-process.ts';
import { type LoadResult, runLoad } from './online-load.ts';

const [entities = 10_000, rowsPerEntity = 100, featureCount = 50] = process.argv.slice(2).map(Number);
const pitSizes = (process.env.PIT_SIZES ?? '100000,1000000').split(',').map(Number);
const pitRounds = Math.max(1, Number(process.env.PIT_ROUNDS ?? 1));
const ingestRows = Number(process.env.INGEST_ROWS ?? 1_000_000);
// Feast's write_to_online_store of 1M rows at once outgrew 19 GB RSS: it gets batches of this many.
const feastIngestBatch = Number(process.env.FEAST_INGEST_BATCH ?? 100_000);
const onlineRequests = Number(process.env.ONLINE_REQUESTS ?? 2000);
const concurrentRequests = Number(process.env.ONLINE_CONCURRENT_REQUESTS ?? 500);
const steps = new Set((process.env.STEPS ?? 'materialize,pit,ingest,online').split(','));
const python = process.env.FEAST_PYTHON;
if (!python) throw new Error('set FEAST_PYTHON=$(bench/feature-store/setup-feast.sh)');
const pitFeatures = 10;
// History ends now (the last row of each entity is 0–1 h old): Flywheel's online reads apply the
// TTL against the clock (EXPIRED), Feast's do not, so stale data would differ by design.
const t0 = Math.floor(Date.now() / 1000) - rowsPerEntity * 3600;
// Rows of an entity are 0–2 h apart, so a 90 min TTL leaves some lookups without a value.
const ttlSeconds = 5400;
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flywheel-feast-bench-'));
const repo = join(dir, 'feast-repo');
const history = join(dir, 'history.parquet');
const s = (ms: number) => ms / 1000;
const log = (line: string) =>
  console.log(
    `${line}  [load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}]`,
  );

const duck = await (await DuckDBInstance.create(':memory:')).connect();
const sql = async (query: string) => (await duck.runAndReadAll(query)).getRowObjectsJS();

// ---- data, generated once ------------------------------------------------------------------
const featureCols = Array.from(
  { length: featureCount },
  (_, f) => `(hash(e, t, ${f}) % 1000000)::DOUBLE / 1000 AS f${f}`,
);
const start = performance.now();
await sql(`COPY (SELECT e::BIGINT AS entity_id, to_timestamp(${t0} + t * 3600 + hash(e, t) % 3600) AS event_timestamp,
  ${featureCols.join(', ')} FROM range(${entities}) r1(e), range(${rowsPerEntity}) r2(t) ORDER BY e, t)
  TO '${history}' (FORMAT parquet)`);
const entityFrame = (n: number) => join(dir, `entities-${n}.parquet`);
for (const n of pitSizes) {
  await sql(`COPY (SELECT i::BIGINT AS row_id, (hash(i, 1) % ${entities})::BIGINT AS entity_id,
    to_timestamp(${t0} + hash(i, 2) % ${rowsPerEntity * 3600}) AS event_time FROM range(${n}) r(i))
    TO '${entityFrame(n)}' (FORMAT parquet)`);
}
log(
  `data: ${entities * rowsPerEntity} history rows × ${featureCount} features, entity frames ${pitSizes.join(', ')} (${s(performance.now() - start).toFixed(1)} s) in ${dir}`,
);

// ---- Flywheel: its own process, gRPC + HTTP on loopback --------------------------------------
const flywheel = await startFeatureStoreProcess(dir, ['--max-old-space-size=12288']);
const blobs = createFsBlobs({ dir: join(dir, 'blobs') });
const client = createRpcClient(FeatureStoreService, {
  address: flywheel.address,
  defaultTimeoutMs: 3600_000,
});
const historyRef = await blobs.put(readFileSync(history));
const features = Array.from({ length: featureCount }, (_, f) => ({
  name: `f${f}`,
  valueType: ValueType.DOUBLE,
}));
const entity = { name: 'entity', joinKeys: [{ name: 'entity_id', valueType: ValueType.INT64 }] };
await client.applyFeatureView({
  featureView: {
    name: 'bench',
    entity,
    features,
    ttl: { seconds: BigInt(ttlSeconds) },
    online: true,
    source: {
      kind: {
        case: 'batch',
        value: { dataset: 'bench-history', uri: blobUri(historyRef.sha256), format: DatasetFormat.PARQUET },
      },
      timestampField: 'event_timestamp',
    },
  },
});
await client.applyFeatureView({
  featureView: { name: 'bench_ingest', entity, features, ttl: { seconds: BigInt(ttlSeconds) }, online: true },
});

// ---- Feast: a child Python process per step -------------------------------------------------
function feast(...args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python!, [join(here, 'feast_driver.py'), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      code === 0 ? resolve(JSON.parse(last)) : reject(new Error(`feast ${args[0]} exited ${code}: ${out}`));
    });
  });
}
await feast('apply', repo, history, String(featureCount), String(ttlSeconds));

type Row = { step: string; feast: string; flywheel: string; ratio: string; note?: string };
const table: Row[] = [];
const ratio = (feastS: number, flywheelS: number) => `${(feastS / flywheelS).toFixed(2)}×`;

// ---- materialize -------------------------------------------------------------------------------
const window = { startMs: (t0 - 86_400) * 1000, endMs: Date.now() + 60_000 };
const feastMaterialize = await feast(
  'materialize',
  repo,
  new Date(window.startMs).toISOString(),
  new Date(window.endMs).toISOString(),
);
const materialize = async () => {
  const begin = performance.now();
  const { results } = await client.materialize({
    featureViewNames: ['bench'],
    startTime: timestampFromMs(window.startMs),
    endTime: timestampFromMs(window.endMs),
  });
  return { seconds: s(performance.now() - begin), written: results[0]?.rowsWritten };
};
const firstBegin = performance.now();
const firstMaterialize = await materialize();
// The first Materialize answers once the values are online; the history ingest of the file may
// still run. A one-row historical read waits for it: the time until a training set sees the file.
await client.getHistoricalFeatures({
  features: ['bench:f0'],
  entityDataframe: {
    source: {
      case: 'rows',
      value: {
        rows: [
          {
            entityKey: { joinKeys: { entity_id: { kind: { case: 'int64Value', value: 0n } } } },
            eventTime: timestampFromMs(Date.now()),
          },
        ],
      },
    },
  },
});
const historyReadable = s(performance.now() - firstBegin);
const againMaterialize = await materialize();
log(
  `materialize: Feast ${feastMaterialize.seconds!.toFixed(2)} s; Flywheel online from the Parquet file ${firstMaterialize.seconds.toFixed(2)} s (${firstMaterialize.written} entities), history readable after ${historyReadable.toFixed(2)} s, offline → online again ${againMaterialize.seconds.toFixed(2)} s`,
);
table.push({
  step: `materialize ${entities * rowsPerEntity} rows (Parquet → online)`,
  feast: `${feastMaterialize.seconds!.toFixed(2)} s`,
  flywheel: `${firstMaterialize.seconds.toFixed(2)} s`,
  ratio: ratio(feastMaterialize.seconds!, firstMaterialize.seconds),
  note: 'Flywheel (duckdb): online straight from the batch-source Parquet; its offline ingest runs after',
});
table.push({
  step: 'first materialize until the history is readable (online + offline ingest of the file)',
  feast: `${feastMaterialize.seconds!.toFixed(2)} s`,
  flywheel: `${historyReadable.toFixed(2)} s`,
  ratio: ratio(feastMaterialize.seconds!, historyReadable),
  note: 'Feast reads the file in place: its history is readable at once',
});
table.push({
  step: 'materialize again (history already offline)',
  feast: `${feastMaterialize.seconds!.toFixed(2)} s`,
  flywheel: `${againMaterialize.seconds.toFixed(2)} s`,
  ratio: ratio(feastMaterialize.seconds!, againMaterialize.seconds),
});

// ---- online lookup ---------------------------------------------------------------------------
if (steps.has('online')) {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const serve = spawn(
    join(python, '..', 'feast'),
    ['-c', repo, 'serve', '-h', '127.0.0.1', '-p', String(port), '--no-access-log'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  process.on('exit', () => serve.kill('SIGTERM'));
  const feastUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${feastUrl}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 3000) throw new Error('feast serve did not start in 300 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const refs = Array.from({ length: featureCount }, (_, f) => `bench:f${f}`);
  // Same answers? 200 entities, every value, both HTTP APIs.
  let mismatched = 0;
  for (let e = 0; e < 200; e++) {
    // By name: feast serve orders the columns its own way (not as requested).
    const ask = async (url: string) => {
      const r = await fetch(`${url}/get-online-features`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ features: refs, entities: { entity_id: [(e * 37) % entities] } }),
      });
      const answer = (await r.json()) as {
        metadata: { feature_names: string[] };
        results: { values: unknown[] }[];
      };
      return new Map(answer.metadata.feature_names.map((name, i) => [name, answer.results[i]?.values[0]]));
    };
    const [a, b] = await Promise.all([ask(flywheel.http), ask(feastUrl)]);
    for (let f = 0; f < featureCount; f++) {
      const name = `f${f}`;
      if (a.get(name) !== undefined && a.get(name) === b.get(name)) continue;
      if (mismatched++ === 0)
        log(
          `first online difference, entity ${(e * 37) % entities} ${name}: Flywheel ${a.get(name)}, Feast ${b.get(name)}`,
        );
    }
  }
  log(
    `online: 200 entities × ${featureCount} values compared between Flywheel and feast serve: ${mismatched} differ`,
  );
  const targets = {
    'feast serve (HTTP)': { kind: 'http', url: feastUrl },
    'Flywheel HTTP': { kind: 'http', url: flywheel.http },
    'Flywheel gRPC': { kind: 'grpc', address: flywheel.address },
  } as const;
  const results: Record<string, Record<string, LoadResult>> = {};
  for (const [mode, clients, requests] of [
    ['sequential', 1, onlineRequests],
    ['16 clients', 16, concurrentRequests],
  ] as const) {
    for (const [name, target] of Object.entries(targets)) {
      const r = await runLoad({ target, features: refs, entities, clients, warmup: 200, requests });
      results[mode] = { ...results[mode], [name]: r };
      log(
        `online ${mode} ${name}: p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.throughput.toFixed(0)} req/s, ${r.requests} requests, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`,
      );
    }
    const f = results[mode]!['feast serve (HTTP)']!;
    for (const name of ['Flywheel HTTP', 'Flywheel gRPC']) {
      const r = results[mode]![name]!;
      table.push({
        step: `online 1 × ${featureCount}, ${mode}, ${name}`,
        feast: `p50 ${f.p50Ms.toFixed(2)} / p99 ${f.p99Ms.toFixed(2)} ms, ${f.throughput.toFixed(0)}/s`,
        flywheel: `p50 ${r.p50Ms.toFixed(2)} / p99 ${r.p99Ms.toFixed(2)} ms, ${r.throughput.toFixed(0)}/s`,
        ratio: `p99 ${(f.p99Ms / r.p99Ms).toFixed(1)}× lower, ${(r.throughput / f.throughput).toFixed(1)}× req/s`,
      });
    }
  }
  table.push({
    step: 'online values compared (200 entities × 50)',
    feast: '',
    flywheel: '',
    ratio: `${mismatched} differ`,
  });
  serve.kill('SIGTERM');
}

// ---- point-in-time join ------------------------------------------------------------------------
const pitRefs = Array.from({ length: pitFeatures }, (_, f) => `bench:f${f}`);
if (steps.has('pit')) {
  for (const n of pitSizes) {
    const feastOut = join(dir, `feast-pit-${n}.parquet`);
    const frameRef = await blobs.put(readFileSync(entityFrame(n)));
    const feastRounds: number[] = [];
    const flywheelRounds: number[] = [];
    let trainingSet: Awaited<ReturnType<typeof client.createTrainingSet>>['trainingSet'];
    // Rounds alternate the two under the same (shared, shifting) load; the medians are compared.
    for (let round = 0; round < pitRounds; round++) {
      feastRounds.push((await feast('pit', repo, entityFrame(n), String(pitFeatures), feastOut)).seconds!);
      const begin = performance.now();
      ({ trainingSet } = await client.createTrainingSet({
        features: pitRefs,
        entityDataframe: {
          source: {
            case: 'dataset',
            value: { uri: blobUri(frameRef.sha256), format: DatasetFormat.PARQUET },
          },
        },
        format: DatasetFormat.PARQUET,
        requestId: `pit-${n}-${round}`,
      }));
      flywheelRounds.push(s(performance.now() - begin));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const feastPit = { seconds: median(feastRounds) };
    const flywheelS = median(flywheelRounds);
    if (pitRounds > 1) {
      log(
        `pit ${n} rounds: Feast ${feastRounds.map((x) => x.toFixed(2)).join(' / ')} s, Flywheel ${flywheelRounds.map((x) => x.toFixed(2)).join(' / ')} s`,
      );
    }
    const flywheelOut = join(dir, `flywheel-pit-${n}.parquet`);
    writeFileSync(flywheelOut, await blobs.getBytes(trainingSet!.blob!.sha256));
    const begin = performance.now();
    const cells = pitRefs.map(
      (ref, f) => `(a."${ref}" IS DISTINCT FROM b.f${f} OR a.row_id IS NULL OR b.row_id IS NULL)::INT`,
    );
    const [cmp] = await sql(`SELECT count(*)::BIGINT AS rows,
      sum(${cells.join(' + ')})::BIGINT AS mismatched,
      sum(${pitRefs.map((ref) => `(a."${ref}" IS NULL)::INT`).join(' + ')})::BIGINT AS flywheel_nulls,
      sum(${pitRefs.map((_, f) => `(b.f${f} IS NULL)::INT`).join(' + ')})::BIGINT AS feast_nulls
      FROM '${flywheelOut}' a FULL JOIN '${feastOut}' b USING (row_id)`);
    const c = cmp as Record<string, bigint>;
    log(
      `pit ${n} × ${pitFeatures}: Feast ${feastPit.seconds!.toFixed(2)} s, Flywheel ${flywheelS.toFixed(2)} s; ${c.rows} rows, ${BigInt(c.rows!) * BigInt(pitFeatures)} cells, mismatched ${c.mismatched}, nulls Flywheel ${c.flywheel_nulls} / Feast ${c.feast_nulls} (compared in ${s(performance.now() - begin).toFixed(1)} s)`,
    );
    table.push({
      step: `PIT join ${n} entity rows × ${pitFeatures}`,
      feast: `${feastPit.seconds!.toFixed(2)} s`,
      flywheel: `${flywheelS.toFixed(2)} s`,
      ratio: ratio(feastPit.seconds!, flywheelS),
      note: `${c.mismatched} of ${BigInt(c.rows!) * BigInt(pitFeatures)} cells differ (${c.feast_nulls} null in both answers' TTL gaps: Flywheel ${c.flywheel_nulls})`,
    });
  }
}

// ---- ingest ----------------------------------------------------------------------------------
if (steps.has('ingest')) {
  const ingestFile = join(dir, `ingest-${ingestRows}.parquet`);
  await sql(`COPY (SELECT * FROM '${history}' LIMIT ${ingestRows}) TO '${ingestFile}' (FORMAT parquet)`);
  const reader = await duck.runAndReadAll(
    `SELECT entity_id, epoch_ms(event_timestamp) AS ms, * EXCLUDE (entity_id, event_timestamp) FROM '${ingestFile}'`,
  );
  const columns = reader.getColumnsJS() as unknown as [bigint[], bigint[], ...number[][]];
  const [keys, times, ...values] = columns;
  const batch = 1000;
  async function* messages() {
    for (let offset = 0; offset < keys.length; offset += batch) {
      const rows = [];
      for (let i = offset; i < Math.min(keys.length, offset + batch); i++) {
        const row: Record<string, { kind: { case: 'doubleValue'; value: number } }> = {};
        for (let f = 0; f < featureCount; f++)
          row[`f${f}`] = { kind: { case: 'doubleValue', value: values[f]![i]! } };
        rows.push({
          entityKey: { joinKeys: { entity_id: { kind: { case: 'int64Value' as const, value: keys[i]! } } } },
          eventTime: timestampFromMs(Number(times[i])),
          values: row,
        });
      }
      yield { featureViewName: 'bench_ingest', target: WriteTarget.ONLINE, rows };
    }
  }
  let begin = performance.now();
  const ingested = await client.ingestStream(messages());
  const flywheelS = s(performance.now() - begin);
  log(
    `ingest ${ingestRows} rows online: Flywheel IngestStream ${flywheelS.toFixed(2)} s (${ingested.rowsWritten} written); Feast next`,
  );
  const feastIngest = await feast('ingest', repo, ingestFile, String(feastIngestBatch));
  log(
    `ingest ${ingestRows} rows online: Feast write_to_online_store ${feastIngest.seconds!.toFixed(2)} s, Flywheel IngestStream ${flywheelS.toFixed(2)} s (${ingested.rowsWritten} written)`,
  );
  table.push({
    step: `ingest ${ingestRows} rows × ${featureCount} online`,
    feast: `${feastIngest.seconds!.toFixed(2)} s`,
    flywheel: `${flywheelS.toFixed(2)} s`,
    ratio: ratio(feastIngest.seconds!, flywheelS),
    note: `Feast write_to_online_store, ${feastIngestBatch}-row frames; Flywheel IngestStream, 1000-row messages, target ONLINE, protos built in the timed loop`,
  });
  begin = performance.now();
  const both = await client.ingestStream(
    (async function* () {
      for await (const m of messages()) yield { ...m, target: WriteTarget.ONLINE_AND_OFFLINE };
    })(),
  );
  log(
    `ingest ${ingestRows} rows online + offline (Flywheel only): ${s(performance.now() - begin).toFixed(2)} s (${both.rowsWritten})`,
  );
  table.push({
    step: `ingest ${ingestRows} rows online + offline`,
    feast: '—',
    flywheel: `${s(performance.now() - begin).toFixed(2)} s`,
    ratio: '—',
  });
}

console.log('\n| step | Feast 0.67 | Flywheel | Feast / Flywheel | note |\n| --- | --- | --- | --- | --- |');
for (const r of table)
  console.log(`| ${r.step} | ${r.feast} | ${r.flywheel} | ${r.ratio} | ${r.note ?? ''} |`);
client.close();
await flywheel.stop();
await blobs.close();
duck.closeSync();
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
process.exit(0);
