// `./flywheel start` runs on the embedded adapters: the client libraries of the server adapters
// (Kafka, NATS, MongoDB, S3, DuckDB) must not be loaded at all — each adapter's module is imported
// only when its config names it. A real process, its resolved modules recorded by a loader hook.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const serverAdapterLibraries = /^(kafkajs|@nats-io\/.*|mongodb|bson|minio|@aws-sdk\/.*|@duckdb\/.*)$/;

/** The node_modules packages a `node --import record-loaded-packages.ts <args>` process resolved. */
async function packagesLoadedBy(args: readonly string[]): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'flywheel-loaded-')), 'packages.json');
  await run(process.execPath, ['--import', './test/record-loaded-packages.ts', ...args], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, FLYWHEEL_LOADED_PACKAGES: file },
    timeout: 120_000,
  });
  return JSON.parse(readFileSync(file, 'utf8')) as string[];
}

describe('the embedded start-up path', () => {
  it('starts and stops all six services without loading kafkajs, nats, mongodb, the S3 client or duckdb', {
    timeout: 180_000,
  }, async () => {
    const loaded = await packagesLoadedBy(['test/start-embedded-and-stop.ts']);
    // The recorder sees what the platform does load.
    expect(loaded).toEqual(expect.arrayContaining(['@grpc/grpc-js', '@bufbuild/protobuf']));
    expect(loaded.filter((name) => serverAdapterLibraries.test(name))).toEqual([]);
  });

  it('loads an adapter’s library once its config names it', { timeout: 120_000 }, async () => {
    // A Kafka bus connects lazily: creating it loads kafkajs without a broker.
    const loaded = await packagesLoadedBy([
      '--input-type=module',
      '-e',
      `const { createEventBus } = await import('@flywheel/bus');
       await createEventBus({ kind: 'kafka', brokers: ['127.0.0.1:9'], numPartitions: 1, sessionTimeoutMs: 6000 });
       process.exit(0);`,
    ]);
    expect(loaded).toContain('kafkajs');
    expect(loaded).not.toContain('mongodb');
  });
});
