/**
 * ModelInfer over gRPC at batch 1 against a Flywheel serving instance in this process versus the raw
 * in-process `InferenceSession.run` on the same model and versus the transport floor (ServerLive, a
 * no-op unary call on the same channel), sequential calls. Each round runs all three, one after the
 * other, so the ModelInfer / floor ratio is taken under the same machine load (issue 13: goal ≤ 1.2×).
 * Usage: node bench/serving/latency-bench.ts [calls per round = 5000] [rounds = 5]
 */
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { median, quantile, startServingStack } from './serving-stack.ts';

const calls = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 5);
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
const row = [12.5, 5.0, 4.7];

const session = await InferenceSession.create(bytes, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 4,
});
const stack = await startServingStack();
await stack.deploy('latency', bytes, { instanceCount: 1 });
const client = stack.inferenceClient();
const request = {
  modelName: 'latency',
  inputs: features.map((name) => ({ name, datatype: 'FP32', shape: [1n, 1n] })),
  rawInputContents: row.map((value) => new Uint8Array(Float32Array.of(value).buffer)),
};

async function raw(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    const feeds: Record<string, Tensor> = {};
    features.forEach((name, j) => {
      feeds[name] = new Tensor('float32', Float32Array.of(row[j]!), [1, 1]);
    });
    const out = await session.run(feeds);
    if (!out.probability) throw new Error('no output');
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

async function flywheel(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    const response = await client.modelInfer(request);
    if (response.rawOutputContents.length === 0) throw new Error('no output');
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

/** Floor of the transport: ServerLive, a no-op unary call on the same channel. */
async function noop(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await client.serverLive({});
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

await raw();
await flywheel();
await noop();
const sides = { raw, noop, flywheel } as const;
type Side = keyof typeof sides;
const results: Record<Side, { p50: number[]; p99: number[] }> = {
  raw: { p50: [], p99: [] },
  noop: { p50: [], p99: [] },
  flywheel: { p50: [], p99: [] },
};
/** ModelInfer's p50 and p99 over the floor's, per round (the same round's load on both). */
const perRound: { p50: number[]; p99: number[] } = { p50: [], p99: [] };
for (let round = 1; round <= rounds; round++) {
  for (const side of Object.keys(sides) as Side[]) {
    const times = await sides[side]();
    results[side].p50.push(quantile(times, 0.5));
    results[side].p99.push(quantile(times, 0.99));
    console.log(
      `round ${round} ${side.padEnd(8)} p50 ${quantile(times, 0.5).toFixed(3)} ms  p99 ${quantile(times, 0.99).toFixed(3)} ms`,
    );
  }
  perRound.p50.push(results.flywheel.p50.at(-1)! / results.noop.p50.at(-1)!);
  perRound.p99.push(results.flywheel.p99.at(-1)! / results.noop.p99.at(-1)!);
}
const f = (ms: number) => `${ms.toFixed(3)} ms`;
const [raw50, raw99] = [median(results.raw.p50), median(results.raw.p99)];
const [noop50, noop99] = [median(results.noop.p50), median(results.noop.p99)];
const [fly50, fly99] = [median(results.flywheel.p50), median(results.flywheel.p99)];
const x = (ratios: number[]) => ratios.map((r) => `${r.toFixed(2)}×`).join(' ');
console.log(`\nmedians over ${rounds} rounds of ${calls} sequential calls, batch 1:`);
console.log(`raw InferenceSession.run   p50 ${f(raw50)}  p99 ${f(raw99)}`);
console.log(`gRPC no-op ServerLive      p50 ${f(noop50)}  p99 ${f(noop99)} (transport floor)`);
console.log(`Flywheel ModelInfer (gRPC) p50 ${f(fly50)}  p99 ${f(fly99)}`);
console.log(
  `added over raw             p50 ${f(fly50 - raw50)} (goal ≤ 0.3 ms)  p99 ${f(fly99 - raw99)} (goal ≤ 1 ms)`,
);
console.log(
  `ModelInfer / floor         p50 ${(fly50 / noop50).toFixed(2)}×  p99 ${(fly99 / noop99).toFixed(2)}× (goal ≤ 1.2×; medians)`,
);
console.log(`  per round                p50 ${x(perRound.p50)}  p99 ${x(perRound.p99)}`);
client.close();
await stack.stop();
await session.release();
