import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '@flywheel/blobs';
import type { EventBus } from '@flywheel/bus';
import { type Env, silentLogger } from '@flywheel/core';
import { createJsonLogger } from '@flywheel/telemetry';
import {
  grpcAddressVariable,
  type HostConfig,
  metricsAddressVariable,
  type ServiceName,
} from '../host-config.ts';
import type { InfraConfig } from '../infra.ts';
import { type RunningService, runService, type ServiceHost, type ServiceWiring } from '../run-service.ts';

export interface InProcessService extends RunningService {
  /** `127.0.0.1:<port>`, for `createRpcClient`. */
  readonly address: string;
  /** Its metrics endpoint `http://host:port/metrics` (a free port), undefined with `FLYWHEEL_METRICS=off`. */
  readonly metricsUrl: string | undefined;
  /** The data directory of this instance (store and, unless shared, blobs). */
  readonly dataDir: string;
}

export interface StartInProcessOptions<C> {
  /** The service's config loader and wiring, e.g. `loadRegistryConfig`, `wireRegistry`. */
  load(env: Env): C;
  wire(host: ServiceHost, config: C): ServiceWiring | Promise<ServiceWiring>;
  /** Extra environment (peer addresses, adapters…); the defaults are embedded adapters in a temp dir. */
  env?: Env;
  /** Share a bus / blob store with other in-process services, as embedded mode does. */
  shared?: { bus?: EventBus; blobs?: BlobStore };
  /** Reuse a data dir, e.g. to test a restart. */
  dataDir?: string;
  /**
   * Resolve once every consumer group has joined (`service.ready()`), so an event published next
   * reaches the service. Default true; false resolves once it serves gRPC.
   */
  waitForConsumers?: boolean;
}

/**
 * Runs one service in the test's process on a free port, on the embedded adapters in a fresh temp
 * directory unless `env` says otherwise, and resolves once it serves and (unless
 * `waitForConsumers: false`) its consumer groups have joined. Logs are silent unless
 * FLYWHEEL_TEST_LOG=1. Stop it with `stop()`.
 */
export async function startInProcess<C extends { host: HostConfig; infra: InfraConfig }>(
  name: ServiceName,
  options: StartInProcessOptions<C>,
): Promise<InProcessService> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `flywheel-${name}-`));
  const env: Env = {
    ...process.env,
    [grpcAddressVariable(name)]: '127.0.0.1:0',
    [metricsAddressVariable(name)]: '127.0.0.1:0',
    // HTTP servers (serving's REST/metrics, the feature store's Feast API): free ports too.
    FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
    FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
    FLYWHEEL_STORE_DIR: join(dataDir, 'store'),
    FLYWHEEL_BLOBS_DIR: join(dataDir, 'blobs'),
    FLYWHEEL_BUS: 'memory',
    FLYWHEEL_STORE: 'embedded',
    FLYWHEEL_BLOBS: 'fs',
    FLYWHEEL_TELEMETRY: 'off',
    ...options.env,
  };
  const config = options.load(env);
  const log = process.env.FLYWHEEL_TEST_LOG
    ? createJsonLogger({ level: 'debug', base: { service: name } })
    : silentLogger;
  const service = await runService({
    name,
    config,
    log,
    startTelemetry: false,
    ...(options.shared ? { shared: options.shared } : {}),
    wire: (host) => options.wire(host, config),
  });
  if (options.waitForConsumers ?? true) {
    try {
      await service.ready();
    } catch (error) {
      await service.stop();
      throw error;
    }
  }
  return {
    ...service,
    address: `127.0.0.1:${service.port}`,
    metricsUrl: service.metricsAddress && `http://${service.metricsAddress}/metrics`,
    dataDir,
  };
}
