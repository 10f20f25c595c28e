/**
 * The online-lookup load client, one process used for every target so none is favoured:
 * `node online-load.ts '<json LoadSpec>'` prints one JSON LoadResult. HTTP targets (Flywheel's and
 * `feast serve`'s `POST /get-online-features`) go through `node:http` with a keep-alive agent, one
 * socket per client; the gRPC target through `@flywheel/rpc`'s client (one HTTP/2 channel). Each
 * request asks 1 entity × all features; entities follow a fixed pseudo-random sequence.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';

export interface LoadSpec {
  target: { kind: 'http'; url: string } | { kind: 'grpc'; address: string };
  features: string[];
  entities: number;
  clients: number;
  /** Requests before timing starts (spread over the clients). */
  warmup: number;
  /** Timed requests per client. */
  requests: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  throughput: number;
  firstError?: string;
}

/** Runs `spec` in a fresh load-client process. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL(import.meta.url).pathname, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load client exited ${code}`)),
    );
  });
}

function httpCaller(spec: LoadSpec & { target: { kind: 'http' } }) {
  const url = new URL('/get-online-features', spec.target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.clients });
  return (entity: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ features: spec.features, entities: { entity_id: [entity] } });
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200)
              return reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`));
            const answer = JSON.parse(Buffer.concat(chunks).toString()) as { results: unknown[] };
            if (answer.results.length !== spec.features.length + 1) return reject(new Error('short answer'));
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

function grpcCaller(spec: LoadSpec & { target: { kind: 'grpc' } }) {
  const client = createRpcClient(FeatureStoreService, { address: spec.target.address });
  return async (entity: number) => {
    const answer = await client.getOnlineFeatures({
      features: spec.features,
      entityKeys: [{ joinKeys: { entity_id: { kind: { case: 'int64Value', value: BigInt(entity) } } } }],
    });
    if (answer.results[0]?.values.length !== spec.features.length) throw new Error('short answer');
  };
}

async function main(spec: LoadSpec): Promise<LoadResult> {
  const call =
    spec.target.kind === 'http'
      ? httpCaller(spec as LoadSpec & { target: { kind: 'http' } })
      : grpcCaller(spec as LoadSpec & { target: { kind: 'grpc' } });
  let state = 7;
  const nextEntity = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % spec.entities;
  };
  let errors = 0;
  let firstError: string | undefined;
  const one = async (latencies?: number[]) => {
    const start = performance.now();
    try {
      await call(nextEntity());
      latencies?.push(performance.now() - start);
    } catch (error) {
      errors++;
      firstError ??= String(error);
    }
  };
  const perClient = Math.ceil(spec.warmup / spec.clients);
  await Promise.all(
    Array.from({ length: spec.clients }, async () => {
      for (let i = 0; i < perClient; i++) await one();
    }),
  );
  errors = 0;
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: spec.clients }, async () => {
      for (let i = 0; i < spec.requests; i++) await one(latencies);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    requests: latencies.length,
    errors,
    seconds,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    throughput: latencies.length / seconds,
    ...(firstError ? { firstError } : {}),
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname && process.argv[2]) {
  const result = await main(JSON.parse(process.argv[2]) as LoadSpec);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}
