/**
 * A closed-loop load generator in its own process: `clients` concurrent callers send batch-1
 * ModelInfer requests (raw FP32 contents, as tritonclient sends them) for `durationMs`, each
 * sending its next request when the previous answer arrives. Reports every latency (ms) and the
 * failures, so the server's event loop is not the one the clients run on.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';

export interface LoadSpec {
  address: string;
  model: string;
  /** The input's name, or several comma-separated (each gets the same [1, width] row). */
  input: string;
  /** Elements of the [1, width] FP32 input. */
  width: number;
  clients: number;
  durationMs: number;
  /** Channels the clients are spread over (HTTP/2 connections). */
  channels: number;
}

export interface LoadResult {
  latenciesMs: number[];
  failed: number;
  errors: string[];
  durationMs: number;
}

const goBinary = process.env.GO ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go');
let goLoad: string | undefined;

/** Builds `bench/serving/goload` (grpc-go; its stubs come from test/go) once; the binary's path. */
function buildGoLoad(): string {
  if (goLoad) return goLoad;
  const out = join(tmpdir(), `flywheel-goload-${process.pid}`);
  execFileSync(goBinary, ['build', '-o', out, '.'], {
    cwd: new URL('./goload/', import.meta.url).pathname,
    stdio: 'inherit',
  });
  goLoad = out;
  return out;
}

/** Runs `spec` in the Go load generator (grpc-go: far less CPU per call than a Node client). */
async function runGoLoad(spec: LoadSpec): Promise<LoadResult> {
  const binary = buildGoLoad();
  const child = spawn(
    binary,
    [spec.address, spec.model, spec.input, spec.width, spec.clients, spec.durationMs, spec.channels].map(
      String,
    ),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`goload exited with ${code}`);
  return JSON.parse(out) as LoadResult;
}

/**
 * Runs `spec` in `processes` load processes (clients split between them) and merges the results;
 * `loadgen: 'go'` uses one Go process instead of Node ones.
 */
export async function runLoad(
  spec: LoadSpec,
  processes = 1,
  loadgen: 'node' | 'go' = 'node',
): Promise<LoadResult> {
  if (loadgen === 'go') return runGoLoad(spec);
  const parts = await Promise.all(
    Array.from({ length: processes }, (_, i) => {
      const clients = Math.floor(spec.clients / processes) + (i < spec.clients % processes ? 1 : 0);
      const child = fork(new URL(import.meta.url), ['--load'], {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      return new Promise<LoadResult>((resolve, reject) => {
        child.once('message', (result) => resolve(result as LoadResult));
        child.once('exit', (code) => reject(new Error(`load process exited with ${code} before reporting`)));
        child.send({ ...spec, clients, channels: Math.max(1, Math.round(spec.channels / processes)) });
      });
    }),
  );
  return {
    latenciesMs: parts.flatMap((part) => part.latenciesMs),
    failed: parts.reduce((sum, part) => sum + part.failed, 0),
    errors: parts.flatMap((part) => part.errors).slice(0, 5),
    durationMs: spec.durationMs,
  };
}

if (process.argv.includes('--load')) {
  process.on('disconnect', () => process.exit(0));
  process.once('message', async (spec: LoadSpec) => {
    const channels = Array.from({ length: spec.channels }, () =>
      createRpcClient(GRPCInferenceService, { address: spec.address, defaultTimeoutMs: 60_000 }),
    );
    const row = new Float32Array(spec.width).map((_, i) => Math.sin(i));
    const request = {
      modelName: spec.model,
      inputs: spec.input
        .split(',')
        .map((name) => ({ name, datatype: 'FP32', shape: [1n, BigInt(spec.width)] })),
      rawInputContents: spec.input.split(',').map(() => new Uint8Array(row.buffer)),
    };
    const latenciesMs: number[] = [];
    const errors = new Set<string>();
    let failed = 0;
    const end = performance.now() + spec.durationMs;
    await Promise.all(
      Array.from({ length: spec.clients }, async (_, i) => {
        const client = channels[i % channels.length]!;
        while (performance.now() < end) {
          const started = performance.now();
          try {
            await client.modelInfer(request);
            latenciesMs.push(performance.now() - started);
          } catch (error) {
            failed++;
            errors.add(String(error));
          }
        }
      }),
    );
    for (const channel of channels) channel.close();
    // Exits once the result is handed to the channel, not before.
    process.send!(
      { latenciesMs, failed, errors: [...errors], durationMs: spec.durationMs } satisfies LoadResult,
      () => process.exit(0),
    );
  });
}
