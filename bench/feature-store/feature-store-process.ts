/**
 * A Flywheel feature store in its own process (embedded adapters: memory bus, the file-backed
 * document store, fs blobs in `blobsDir`; `FLYWHEEL_FEATURE_STORE_OFFLINE=duckdb`), so the
 * benchmark's clients do not share its event loop. `startFeatureStoreProcess` resolves once it
 * serves gRPC and HTTP; `stop()` ends it.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { startInProcess } from '@flywheel/runtime/testing';

type Reply = { kind: 'ready'; address: string; http: string };

export async function startFeatureStoreProcess(dir: string, execArgv: string[] = []) {
  const child = fork(new URL(import.meta.url), ['--serve', dir], {
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Reply>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Reply));
    child.once('exit', (code) => reject(new Error(`the feature-store process exited with ${code}`)));
  });
  return {
    address: ready.address,
    http: `http://${ready.http}`,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

if (process.argv[2] === '--serve') {
  const dir = process.argv[3]!;
  let http = '';
  const service = await startInProcess('feature-store', {
    load: loadFeatureStoreConfig,
    wire: async (host, config) => {
      const wiring = await wireFeatureStore(host, config);
      http = wiring.httpAddress;
      return wiring;
    },
    dataDir: join(dir, 'flywheel'),
    env: {
      FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
      FLYWHEEL_FEATURE_STORE_OFFLINE: 'duckdb',
      FLYWHEEL_FEATURE_STORE_DUCKDB_CACHE_DIR: join(dir, 'parquet-cache'),
    },
  });
  process.on('disconnect', () => process.exit(0));
  process.on('message', async () => {
    await service.stop();
    process.exit(0);
  });
  process.send!({ kind: 'ready', address: service.address, http } satisfies Reply);
}
