/**
 * Benchmark (3): Flywheel serving vs MLServer (PyPI) serving the SAME ONNX model through
 * onnxruntime, driven by the SAME OIP gRPC client (createRpcClient(GRPCInferenceService)) at the
 * same concurrency. Rounds alternate MLServer / Flywheel; medians are compared.
 *
 *   node bench/serving/mlserver-bench.ts [concurrency=64] [seconds=10] [rounds=3]
 *
 * MLServer comes from bench/serving/peers/install.sh (or MLSERVER=/path/to/venv/bin/mlserver);
 * bench/serving/mlserver/onnx_runtime.py is the runtime, started by peer-servers.ts.
 */
import { dirname } from 'node:path';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { installPeers, startPeer } from './peer-servers.ts';
import { median, quantile, startServingStack } from './serving-stack.ts';

const [concurrency = 64, seconds = 10, rounds = 3] = process.argv.slice(2).map(Number);
// The venv of bench/serving/peers/install.sh, or the one whose `bin/mlserver` MLSERVER names.
const mlserverVenv = process.env.MLSERVER ? dirname(dirname(process.env.MLSERVER)) : installPeers().mlserver;
const features = ['temp_max', 'temp_min', 'wind'];
const bytes = exportLogisticRegressionOnnx({
  featureNames: features,
  means: [15, 7, 3.2],
  stds: [7, 5, 1.4],
  weights: [-0.8, 0.3, 0.9],
  bias: -0.2,
  l2: 0,
  iterations: 0,
  converged: true,
  loss: 0,
  objective: 0,
});

/** One batch-1 request in typed contents (both servers decode it the same way). */
const request = {
  modelName: 'weather',
  inputs: features.map((name, j) => ({
    name,
    datatype: 'FP32',
    shape: [1n, 1n],
    contents: { fp32Contents: [[12.5, 5.0, 4.7][j]!] },
  })),
};

/** Closed loop: `concurrency` workers send request after request for `seconds`; returns throughput and latencies. */
async function load(address: string, seconds: number) {
  const client = createRpcClient(GRPCInferenceService, { address, defaultTimeoutMs: 30_000 });
  await client.modelInfer(request);
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await client.modelInfer(request);
          latencies.push(performance.now() - t);
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures,
  };
}

const flywheel = await startServingStack();
await flywheel.deploy('weather', bytes, {});
const mlserver = await startPeer('mlserver', mlserverVenv, 'weather', bytes);
const mlserverAddress = mlserver.grpcAddress;
const results = {
  mlserver: [] as Awaited<ReturnType<typeof load>>[],
  flywheel: [] as Awaited<ReturnType<typeof load>>[],
};
try {
  await load(mlserverAddress, 2);
  await load(flywheel.address, 2);
  for (let round = 1; round <= rounds; round++) {
    for (const [name, address] of [
      ['mlserver', mlserverAddress],
      ['flywheel', flywheel.address],
    ] as const) {
      const result = await load(address, seconds);
      results[name].push(result);
      console.log(
        `round ${round} ${name.padEnd(8)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  failures ${result.failures}`,
      );
    }
  }
} finally {
  await mlserver.stop();
  await flywheel.stop();
}
const m = median(results.mlserver.map((r) => r.rps));
const f = median(results.flywheel.map((r) => r.rps));
console.log(
  `\nModelInfer batch 1, ${concurrency} concurrent clients, ${seconds} s x ${rounds} rounds (medians)`,
);
console.log(
  `MLServer  ${m.toFixed(0)} req/s  p50 ${median(results.mlserver.map((r) => r.p50)).toFixed(2)} ms`,
);
console.log(
  `Flywheel  ${f.toFixed(0)} req/s  p50 ${median(results.flywheel.map((r) => r.p50)).toFixed(2)} ms`,
);
console.log(`ratio Flywheel / MLServer: ${(f / m).toFixed(2)}x (goal >= 3x)`);
