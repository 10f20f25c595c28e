/**
 * Throughput at 64 concurrent closed-loop clients, dynamic batching on vs off, on one Flywheel
 * serving process, same model (a wide MLP, 80 MiB of weights in memory, whose batch-1 run dominates
 * a request's cost), same
 * instance count and threads; the clients run in a separate load-generator process, so the
 * server's event loop is not shared with them. Rounds alternate off / on; medians are reported,
 * with both p95s and the batch sizes the server executed (ModelStatistics batch_stats).
 *
 * Usage: node bench/serving/batching-bench.ts [seconds per round = 5] [rounds = 3]
 *   env MLP=inputs,hidden,layers (default 256,2048,6; see tiledMlpModel)  TILE=8  DELAY_US=max_queue_delay_us (default 0)
 *       CLIENTS=64  LOADERS=load processes (default 1)  CHANNELS=HTTP/2 connections (default 4)
 *       INSTANCES=instances per side (default 1)  INTRA=intra-op threads per instance (default 1)
 *       LOADGEN=node|go (default node: Node clients in LOADERS processes; go: bench/serving/goload)
 */
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { runLoad } from './load-process.ts';
import { startServerProcess } from './server-process.ts';
import { median, quantile } from './serving-stack.ts';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const [inputs, hidden, layers] = (process.env.MLP ?? '256,2048,6').split(',').map(Number) as [
  number,
  number,
  number,
];
const delayUs = Number(process.env.DELAY_US ?? 0);
const clients = Number(process.env.CLIENTS ?? 64);
const loaders = Number(process.env.LOADERS ?? 1);
const channels = Number(process.env.CHANNELS ?? 4);
const instances = Number(process.env.INSTANCES ?? 1);
const intra = Number(process.env.INTRA ?? 1);
const loadgen = process.env.LOADGEN === 'go' ? 'go' : 'node';

const server = await startServerProcess();
// Same runtime both sides; only dynamic batching differs.
const base = { instanceCount: instances, intraOpThreads: intra, interOpThreads: 1 };
const tile = Number(process.env.TILE ?? 8);
const model = { kind: 'tiled' as const, inputs, hidden, layers, tile };
await server.deploy([
  { name: 'off', model, runtime: base },
  {
    name: 'on',
    model,
    runtime: {
      ...base,
      dynamicBatching: { maxBatchSize: 64, maxQueueDelayUs: delayUs, preferredBatchSizes: [] },
      maxQueueSize: 1024,
    },
  },
]);
const stats = createRpcClient(GRPCInferenceService, { address: server.address, defaultTimeoutMs: 10_000 });

/** Executions and rows the server counted for `model` so far, with its batch sizes. */
async function counted(model: string) {
  const { modelStats } = await stats.modelStatistics({ name: model, version: '' });
  const sizes = new Map<number, bigint>();
  let rows = 0n;
  let executions = 0n;
  for (const entry of modelStats) {
    rows += entry.inferenceCount;
    executions += entry.executionCount;
    for (const batch of entry.batchStats)
      sizes.set(
        Number(batch.batchSize),
        (sizes.get(Number(batch.batchSize)) ?? 0n) + batch.computeInfer!.count,
      );
  }
  return { rows, executions, sizes };
}

async function round(side: 'off' | 'on', durationMs: number) {
  const before = await counted(side);
  const result = await runLoad(
    { address: server.address, model: side, input: 'x', width: inputs, clients, durationMs, channels },
    loaders,
    loadgen,
  );
  const after = await counted(side);
  const times = result.latenciesMs.sort((a, b) => a - b);
  const executions = Number(after.executions - before.executions);
  const histogram = [...after.sizes]
    .map(([size, count]) => [size, Number(count - (before.sizes.get(size) ?? 0n))] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    rps: times.length / (durationMs / 1000),
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    failed: result.failed,
    errors: result.errors,
    meanBatch: executions === 0 ? 0 : Number(after.rows - before.rows) / executions,
    topSizes: histogram
      .slice(0, 4)
      .map(([size, count]) => `${size}×${count}`)
      .join(' '),
  };
}

await round('off', 1500);
await round('on', 1500);
const results: Record<'off' | 'on', { rps: number[]; p95: number[]; p50: number[]; batch: number[] }> = {
  off: { rps: [], p95: [], p50: [], batch: [] },
  on: { rps: [], p95: [], p50: [], batch: [] },
};
for (let r = 1; r <= rounds; r++) {
  for (const side of ['off', 'on'] as const) {
    const x = await round(side, seconds * 1000);
    results[side].rps.push(x.rps);
    results[side].p95.push(x.p95);
    results[side].p50.push(x.p50);
    results[side].batch.push(x.meanBatch);
    console.log(
      `round ${r} batching ${side.padEnd(3)} ${x.rps.toFixed(0).padStart(6)} req/s  p50 ${x.p50.toFixed(2)} ms  p95 ${x.p95.toFixed(2)} ms  failed ${x.failed}  mean batch ${x.meanBatch.toFixed(1)} rows  (most frequent sizes: ${x.topSizes})${x.errors.length ? ` errors: ${x.errors.join('; ')}` : ''}`,
    );
  }
}
const off = median(results.off.rps);
const on = median(results.on.rps);
console.log(
  `\nmedians over ${rounds} rounds of ${seconds} s, ${clients} closed-loop clients in ${loadgen === 'go' ? 'one Go (grpc-go)' : `${loaders} Node`} load process(es) over ${channels} channels, batch-1 requests, MLP ${inputs}→${hidden}×${layers}→1 (${((layers - 1) * hidden * hidden * 4) / 2 ** 20} MiB of hidden weights), ${instances} instance(s) × ${intra} intra-op thread(s), max_queue_delay ${delayUs} µs:`,
);
console.log(
  `batching off  ${off.toFixed(0)} req/s  p50 ${median(results.off.p50).toFixed(2)} ms  p95 ${median(results.off.p95).toFixed(2)} ms  mean batch ${median(results.off.batch).toFixed(1)}`,
);
console.log(
  `batching on   ${on.toFixed(0)} req/s  p50 ${median(results.on.p50).toFixed(2)} ms  p95 ${median(results.on.p95).toFixed(2)} ms  mean batch ${median(results.on.batch).toFixed(1)}`,
);
console.log(
  `throughput ratio on/off ${(on / off).toFixed(2)}× (goal ≥ 4× at equal p95; p95 on/off ${(median(results.on.p95) / median(results.off.p95)).toFixed(2)})`,
);
stats.close();
await server.stop();
