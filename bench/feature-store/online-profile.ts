// Flywheel-only online lookup loop for profiling (no Feast needed): one feature-store process,
// `entities` entities × `features` DOUBLE features ingested online, then the bench's load client
// sequential over HTTP and gRPC. Usage:
//   node bench/feature-store/online-profile.ts [entities=1000] [features=50] [requests=2000]
// Env PROFILE_ARGS adds execArgv to the feature-store process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  FeatureStoreService,
  WriteTarget,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { startFeatureStoreProcess } from './feature-store-process.ts';
import { runLoad } from './online-load.ts';

const [entities = 1000, featureCount = 50, requests = 2000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'flywheel-online-profile-'));
const extra = (process.env.PROFILE_ARGS ?? '').split(' ').filter(Boolean);
const flywheel = await startFeatureStoreProcess(dir, extra);
const client = createRpcClient(FeatureStoreService, { address: flywheel.address, defaultTimeoutMs: 600_000 });
const features = Array.from({ length: featureCount }, (_, f) => ({
  name: `f${f}`,
  valueType: ValueType.DOUBLE,
}));
await client.applyFeatureView({
  featureView: {
    name: 'bench',
    entity: { name: 'entity', joinKeys: [{ name: 'entity_id', valueType: ValueType.INT64 }] },
    features,
    ttl: { seconds: 86_400n },
    online: true,
  },
});
const now = Date.now();
for (let offset = 0; offset < entities; offset += 500) {
  const rows = [];
  for (let e = offset; e < Math.min(entities, offset + 500); e++) {
    const values: Record<string, { kind: { case: 'doubleValue'; value: number } }> = {};
    for (let f = 0; f < featureCount; f++)
      values[`f${f}`] = { kind: { case: 'doubleValue', value: e + f / 1000 } };
    rows.push({
      entityKey: { joinKeys: { entity_id: { kind: { case: 'int64Value' as const, value: BigInt(e) } } } },
      eventTime: timestampFromMs(now - 1000),
      values,
    });
  }
  await client.ingest({ featureViewName: 'bench', target: WriteTarget.ONLINE, rows });
}
// The server's CPU time (user + system), ms: a figure the machine's load does not inflate as much.
const cpuMs = () => {
  const fields = readFileSync(`/proc/${flywheel.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};
{
  const before = cpuMs();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  console.log(`idle server CPU: ${((cpuMs() - before) / 5).toFixed(1)} ms/s`);
}
const refs = features.map((f) => `bench:${f.name}`);
for (const [name, target] of [
  ['HTTP', { kind: 'http', url: flywheel.http }],
  ['gRPC', { kind: 'grpc', address: flywheel.address }],
] as const) {
  const before = cpuMs();
  const r = await runLoad({ target, features: refs, entities, clients: 1, warmup: 200, requests });
  const perRequest = (cpuMs() - before) / (requests + 200);
  console.log(
    `${name} sequential: server CPU ${perRequest.toFixed(3)} ms/request, p50 ${r.p50Ms.toFixed(2)} ms, p90 ${r.p90Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms, ${r.throughput.toFixed(0)} req/s, ${r.errors} errors`,
  );
}
client.close();
await flywheel.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
