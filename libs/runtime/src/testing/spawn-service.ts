import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@flywheel/testing';
import {
  grpcAddressVariable,
  metricsAddressVariable,
  type ServiceName,
  servicePorts,
} from '../host-config.ts';

export interface SpawnedService {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  /**
   * Its metrics endpoint `http(s)://host:port/metrics`, from the `metricsAddress` its `serving` log
   * line gives (a free port unless `env` sets `FLYWHEEL_<SERVICE>_METRICS_ADDRESS`); undefined
   * with `FLYWHEEL_METRICS=off`.
   */
  readonly metricsUrl: string | undefined;
  readonly process: ChildProcess;
  /** Every JSON log line the process wrote so far. */
  readonly logs: Record<string, unknown>[];
  /** Everything the process wrote so far, stdout and stderr as text (e.g. to check no secret leaked). */
  output(): string;
  /**
   * Resolves once the process logs `consumers ready` (every consumer group joined); rejects if it
   * exits first or after `timeoutMs` (default 60 s).
   */
  consumersReady(timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and resolves with the exit code (rejects if it has not exited within `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(servicePorts, name);
}

export interface SpawnServiceOptions {
  /** How long the start may take, ms. Default 20 000. */
  timeoutMs?: number;
  /**
   * Resolve once the process logs `consumers ready` too (its consumer groups joined), so an event
   * published next reaches it. Default true; false resolves at `serving` (gRPC answers).
   */
  waitForConsumers?: boolean;
  /** Data directory (store and blobs, unless `env` points elsewhere); default a fresh temp dir. Reuse it to restart. */
  dataDir?: string;
}

/**
 * Starts `services/<name>/src/main.ts` as its own process, the way an operator would, on a free
 * port, and resolves once it logs `serving` and, unless `waitForConsumers: false`,
 * `consumers ready`. Fails with its output if it exits or stays silent.
 */
export function spawnService(
  name: string,
  env: Readonly<Record<string, string>> = {},
  options: SpawnServiceOptions = {},
): Promise<SpawnedService> {
  if (!isServiceName(name)) {
    return Promise.reject(new Error(`${name} is not one of ${Object.keys(servicePorts).join(', ')}`));
  }
  const variable = grpcAddressVariable(name);
  // Its own data directories unless the test shares some: parallel test files never share a store.
  const data = options.dataDir ?? mkdtempSync(join(tmpdir(), `flywheel-${name}-`));
  const child = spawn(process.execPath, [`services/${name}/src/main.ts`], {
    cwd: repoRoot,
    env: {
      ...process.env,
      [variable]: '127.0.0.1:0',
      [metricsAddressVariable(name)]: '127.0.0.1:0',
      FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_LOG_LEVEL: 'debug',
      ...((env.FLYWHEEL_STORE ?? 'embedded') === 'embedded'
        ? { FLYWHEEL_STORE_DIR: join(data, 'store') }
        : {}),
      ...((env.FLYWHEEL_BLOBS ?? 'fs') === 'fs' ? { FLYWHEEL_BLOBS_DIR: join(data, 'blobs') } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let markConsumersReady!: () => void;
  const consumersLogged = new Promise<void>((resolve) => {
    markConsumersReady = resolve;
  });
  const consumersReady = (timeoutMs = 60_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} logged no "consumers ready" within ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      timer.unref();
      void consumersLogged.then(() => {
        clearTimeout(timer);
        resolve();
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before its consumers were ready:\n${output}`));
      });
    });
  const timeoutMs = options.timeoutMs ?? 20_000;
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        logs.push(entry);
        if (entry.msg === 'consumers ready') markConsumersReady();
        if (entry.msg === 'serving' && typeof entry.port === 'number') {
          const port = entry.port;
          const service: SpawnedService = {
            name,
            port,
            address: `127.0.0.1:${port}`,
            metricsUrl:
              typeof entry.metricsAddress === 'string'
                ? `${entry.tls === 'off' ? 'http' : 'https'}://${entry.metricsAddress}/metrics`
                : undefined,
            process: child,
            logs,
            output: () => output,
            consumersReady,
            stop: (timeoutMs = 15_000) => {
              child.kill('SIGTERM');
              return Promise.race([
                exited,
                new Promise<never>((_, fail) =>
                  setTimeout(() => {
                    child.kill('SIGKILL');
                    fail(new Error(`${name} did not stop within ${timeoutMs} ms`));
                  }, timeoutMs).unref(),
                ),
              ]);
            },
          };
          if (options.waitForConsumers === false) {
            clearTimeout(timer);
            resolve(service);
          } else {
            // Within what is left of the start's time budget.
            consumersReady(Math.max(1, timeoutMs - (Date.now() - startedAt))).then(
              () => {
                clearTimeout(timer);
                resolve(service);
              },
              (error: unknown) => {
                clearTimeout(timer);
                child.kill('SIGKILL');
                reject(error);
              },
            );
          }
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before serving:\n${output}`));
    });
  });
}
