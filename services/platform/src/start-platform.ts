import { type BlobStore, createBlobStore } from '@flywheel/blobs';
import { createEventBus, type EventBus } from '@flywheel/bus';
import { loadConsoleConfig, type RunningConsole, startConsole } from '@flywheel/console';
import type { Env, Logger } from '@flywheel/core';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { loadMonitoringConfig, wireMonitoring } from '@flywheel/monitoring';
import { loadOrchestratorConfig, wireOrchestrator } from '@flywheel/orchestrator';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import {
  grpcAddressVariable,
  type HostConfig,
  type InfraConfig,
  type RunningService,
  runService,
  type ServiceHost,
  type ServiceName,
  type ServiceWiring,
} from '@flywheel/runtime';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import { loadServingConfig, wireServing } from '@flywheel/serving';
import { createJsonLogger } from '@flywheel/telemetry';
import { startTelemetry } from '@flywheel/telemetry/sdk';

interface Part<C extends { host: HostConfig; infra: InfraConfig }> {
  name: ServiceName;
  load(env: Env): C;
  wire(host: ServiceHost, config: C): ServiceWiring | Promise<ServiceWiring>;
}

const part = <C extends { host: HostConfig; infra: InfraConfig }>(p: Part<C>) =>
  p as Part<{ host: HostConfig; infra: InfraConfig }>;

/** In start order: a service starts after the peers it calls. */
const parts = [
  part({ name: 'registry', load: loadRegistryConfig, wire: wireRegistry }),
  part({ name: 'feature-store', load: loadFeatureStoreConfig, wire: wireFeatureStore }),
  part({ name: 'monitoring', load: loadMonitoringConfig, wire: wireMonitoring }),
  part({ name: 'serving', load: loadServingConfig, wire: wireServing }),
  part({ name: 'scheduler', load: loadSchedulerConfig, wire: wireScheduler }),
  part({ name: 'orchestrator', load: loadOrchestratorConfig, wire: wireOrchestrator }),
];

export interface Platform {
  readonly services: readonly RunningService[];
  readonly bus: EventBus;
  readonly blobs: BlobStore;
  readonly log: Logger;
  /** How to turn security on, when it is off (the embedded default); undefined when it is on. */
  readonly securityHint: string | undefined;
  /** The web console over the six services' gRPC APIs; undefined unless asked for (`./flywheel start` does, unless FLYWHEEL_CONSOLE=off). */
  readonly console: RunningConsole | undefined;
  /** Address of a service, `127.0.0.1:<port>`. */
  address(name: ServiceName): string;
  stop(): Promise<void>;
}

/**
 * Starts the six services in this process. The bus and the blob store are shared (one in-process
 * bus, one blob directory); each service keeps its own document store. Services are started in
 * dependency order and each later one is told where the earlier ones listen.
 */
export async function startPlatform(
  env: Env,
  options: {
    log?: Logger /** Also start the web console (FLYWHEEL_CONSOLE_HTTP_ADDRESS); default off. */;
    console?: boolean;
  } = {},
): Promise<Platform> {
  const first = parts[0]!.load(env);
  const telemetry = startTelemetry({
    serviceName: 'flywheel',
    exporters: first.host.telemetry,
    otlpEndpoint: first.host.otlpEndpoint,
    zipkinEndpoint: first.host.zipkinEndpoint,
  });
  const log = options.log ?? createJsonLogger({ level: first.host.logLevel, base: { platform: 'embedded' } });
  const bus = await createEventBus(first.infra.bus, { log: log.child({ port: 'bus' }) });
  const blobs = await createBlobStore(first.infra.blobs, { log: log.child({ port: 'blobs' }) });
  const running: RunningService[] = [];
  const peerEnv: Record<string, string> = {};
  for (const [i, p] of parts.entries()) {
    // Re-read with the addresses of the services already up, so peers find each other even on port 0.
    const config = i === 0 ? first : p.load({ ...env, ...peerEnv });
    const service = await runService({
      name: p.name,
      config,
      log: log.child({ service: p.name }),
      startTelemetry: false,
      shared: { bus, blobs },
      wire: (host) => p.wire(host, config),
    });
    running.push(service);
    peerEnv[grpcAddressVariable(p.name)] = `127.0.0.1:${service.port}`;
  }
  // The console is a client like any other: it reads the services over gRPC, never their stores.
  const webConsole =
    options.console !== true
      ? undefined
      : await startConsole(loadConsoleConfig({ ...env, ...peerEnv }), log.child({ service: 'console' }));
  if (webConsole) log.info('console is up', { url: webConsole.url });
  log.info('flywheel is up', Object.fromEntries(running.map((s) => [s.name, `127.0.0.1:${s.port}`])));
  const securityHint = first.host.auth.enabled
    ? undefined
    : `security is off: every call runs as the local principal (admin of team "${first.host.localTeam}"). To turn it on set FLYWHEEL_AUTH=on with FLYWHEEL_AUTH_JWKS_FILE or FLYWHEEL_AUTH_JWKS_URL, FLYWHEEL_AUTH_ISSUER and FLYWHEEL_AUTH_AUDIENCE (and/or FLYWHEEL_AUTH_API_TOKENS_FILE), and FLYWHEEL_TLS=on with FLYWHEEL_TLS_CERT and FLYWHEEL_TLS_KEY; see docs/security.md`;
  if (securityHint) log.info(securityHint);
  return {
    services: running,
    bus,
    blobs,
    log,
    securityHint,
    console: webConsole,
    address: (name) => `127.0.0.1:${running.find((s) => s.name === name)?.port}`,
    stop: async () => {
      await webConsole?.stop();
      for (const service of [...running].reverse()) await service.stop();
      await bus.close();
      await blobs.close();
      await telemetry.shutdown();
    },
  };
}
