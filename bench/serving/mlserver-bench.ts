/**
 * Benchmark (3): Flywheel serving vs MLServer (PyPI) serving the SAME ONNX model through
 * onnxruntime, driven by the SAME OIP gRPC client (createRpcClient(GRPCInferenceService)) at the
 * same concurrency. Rounds alternate MLServer / Flywheel; medians are compared.
 *
 *   MLSERVER=/path/to/venv/bin/mlserver node bench/serving/mlserver-bench.ts [concurrency=64] [seconds=10] [rounds=3]
 *
 * The venv needs `pip install mlserver onnxruntime`; bench/serving/mlserver/onnx_runtime.py is the runtime.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { median, quantile, startServingStack } from './serving-stack.ts';

const [concurrency = 64, seconds = 10, rounds = 3] = process.argv.slice(2).map(Number);
const mlserverBin = process.env.MLSERVER ?? 'mlserver';
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startMlserver(): Promise<{ address: string; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-mlserver-'));
  const here = fileURLToPath(new URL('./mlserver/', import.meta.url));
  writeFileSync(join(dir, 'model.onnx'), bytes);
  copyFileSync(join(here, 'model-settings.json'), join(dir, 'model-settings.json'));
  copyFileSync(join(here, 'onnx_runtime.py'), join(dir, 'onnx_runtime.py'));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({
      host: '127.0.0.1',
      grpc_port: grpcPort,
      http_port: httpPort,
      metrics_endpoint: null,
      debug: false,
    }),
  );
  const child = spawn(mlserverBin, ['start', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const address = `127.0.0.1:${grpcPort}`;
  const client = createRpcClient(GRPCInferenceService, { address, defaultTimeoutMs: 2_000 });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await client.modelReady({ name: 'weather' })).ready) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`MLServer did not become ready:\n${log.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  client.close();
  return { address, stop: () => child.kill('SIGTERM') };
}

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
const mlserver = await startMlserver();
const results = {
  mlserver: [] as Awaited<ReturnType<typeof load>>[],
  flywheel: [] as Awaited<ReturnType<typeof load>>[],
};
try {
  await load(mlserver.address, 2);
  await load(flywheel.address, 2);
  for (let round = 1; round <= rounds; round++) {
    for (const [name, address] of [
      ['mlserver', mlserver.address],
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
  mlserver.stop();
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
