import { join } from 'node:path';
import type { ConfigReader, Logger } from '@flywheel/core';
import type { DocumentStore } from './document-store.ts';
import { createEmbeddedStore } from './embedded-store.ts';

/** Which document store to use, parsed from the environment by {@link readStoreConfig}. */
export type StoreConfig =
  | { readonly kind: 'embedded'; readonly dir: string; readonly fsync: boolean; readonly timeoutMs: number }
  | { readonly kind: 'mongo'; readonly url: string; readonly database: string; readonly timeoutMs: number };

const storeKinds = ['embedded', 'mongo'] as const;

/**
 * Reads the store settings; problems are recorded on `reader` (the caller's `done()` reports them
 * with everything else):
 *
 * - `FLYWHEEL_STORE` — `embedded` (default) or `mongo`
 * - `FLYWHEEL_STORE_DIR` — embedded: the data directory, default `.flywheel/data`; with `service`,
 *   the store uses its `<service>` subdirectory, so services in one process never share one
 * - `FLYWHEEL_STORE_FSYNC` — embedded: fsync each write, default true
 * - `FLYWHEEL_MONGO_URL` — mongo: `mongodb://…` or `mongodb+srv://…`, required
 * - `FLYWHEEL_MONGO_DATABASE` — mongo: default `flywheel-<service>` (or `flywheel`)
 * - `FLYWHEEL_STORE_TIMEOUT` — default deadline of a store call, default `5s`
 */
export function readStoreConfig(reader: ConfigReader, options: { service?: string } = {}): StoreConfig {
  const { service } = options;
  const kind = reader.oneOf('FLYWHEEL_STORE', storeKinds, 'embedded');
  const timeoutMs = reader.durationMs('FLYWHEEL_STORE_TIMEOUT', '5s');
  if (timeoutMs <= 0) reader.problem('FLYWHEEL_STORE_TIMEOUT', 'must be more than 0');
  if (kind === 'embedded') {
    const base = reader.string('FLYWHEEL_STORE_DIR', join('.flywheel', 'data'));
    return {
      kind,
      dir: service === undefined ? base : join(base, service),
      fsync: reader.bool('FLYWHEEL_STORE_FSYNC', true),
      timeoutMs,
    };
  }
  const url = reader.optional('FLYWHEEL_MONGO_URL');
  if (url === undefined) reader.problem('FLYWHEEL_MONGO_URL', 'is required when FLYWHEEL_STORE=mongo');
  // Not `reader.url`: replica-set URLs (`mongodb://a:1,b:2/`) are not WHATWG URLs.
  else if (!/^mongodb(\+srv)?:\/\/[^/]/.test(url)) {
    reader.problem('FLYWHEEL_MONGO_URL', `must be a mongodb:// or mongodb+srv:// URL, got "${url}"`);
  }
  const database = reader.string(
    'FLYWHEEL_MONGO_DATABASE',
    service === undefined ? 'flywheel' : `flywheel-${service}`,
  );
  if (!/^[^/\\. "$*<>:|?]{1,63}$/.test(database)) {
    reader.problem('FLYWHEEL_MONGO_DATABASE', `is not a MongoDB database name: "${database}"`);
  }
  return { kind, url: url ?? '', database, timeoutMs };
}

/**
 * The document store `config` names, opened: the embedded store (its directory locked) or a mongo
 * store (connecting lazily; the mongodb driver is loaded only then). The caller owns it and must
 * `close()` it.
 */
export async function createDocumentStore(
  config: StoreConfig,
  deps: { log?: Logger } = {},
): Promise<DocumentStore> {
  const log = deps.log?.child({ store: config.kind });
  if (config.kind === 'embedded') {
    return createEmbeddedStore({
      dir: config.dir,
      fsync: config.fsync,
      defaultTimeoutMs: config.timeoutMs,
      ...(log ? { log } : {}),
    });
  }
  const { createMongoStore } = await import('./mongo-store.ts');
  return createMongoStore({
    url: config.url,
    database: config.database,
    defaultTimeoutMs: config.timeoutMs,
    ...(log ? { log } : {}),
  });
}
