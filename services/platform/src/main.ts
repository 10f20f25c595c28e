// Embedded mode: all six services in one process, on the embedded adapters, no servers needed.
// Each keeps its own gRPC port (FLYWHEEL_<SERVICE>_GRPC_ADDRESS), exactly as when run apart.
import type { Env, Logger } from '@flywheel/core';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { loadMonitoringConfig, wireMonitoring } from '@flywheel/monitoring';
import { loadOrchestratorConfig, wireOrchestrator } from '@flywheel/orchestrator';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import type { RpcServer } from '@flywheel/rpc';
import {
  type HostConfig,
  type RunningService,
  runService,
  type ServiceWiring,
  stopOnSignals,
} from '@flywheel/runtime';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import { loadServingConfig, wireServing } from '@flywheel/serving';
import { createJsonLogger } from '@flywheel/telemetry';
import { startTelemetry } from '@flywheel/telemetry/sdk';

interface Part<C extends { host: HostConfig }> {
  name: string;
  load(env: Env): C;
  wire(host: { server: RpcServer; log: Logger }, config: C): ServiceWiring | Promise<ServiceWiring>;
}

const part = <C extends { host: HostConfig }>(p: Part<C>) => p;
const parts = [
  part({ name: 'scheduler', load: loadSchedulerConfig, wire: wireScheduler }),
  part({ name: 'orchestrator', load: loadOrchestratorConfig, wire: wireOrchestrator }),
  part({ name: 'registry', load: loadRegistryConfig, wire: wireRegistry }),
  part({ name: 'feature-store', load: loadFeatureStoreConfig, wire: wireFeatureStore }),
  part({ name: 'serving', load: loadServingConfig, wire: wireServing }),
  part({ name: 'monitoring', load: loadMonitoringConfig, wire: wireMonitoring }),
];

const configs = parts.map((p) => p.load(process.env));
const first = configs[0]!.host;
const telemetry = startTelemetry({
  serviceName: 'flywheel',
  exporter: first.telemetry,
  otlpEndpoint: first.otlpEndpoint,
});
const root = createJsonLogger({ level: first.logLevel, base: { platform: 'embedded' } });
const running: RunningService[] = [];
for (const [i, p] of parts.entries()) {
  const config = configs[i]!;
  running.push(
    await runService({
      name: p.name,
      config: config.host,
      log: root.child({ service: p.name }),
      startTelemetry: false,
      wire: (host) => (p.wire as Part<typeof config>['wire'])(host, config),
    }),
  );
}
root.info('flywheel is up', Object.fromEntries(running.map((s) => [s.name, `127.0.0.1:${s.port}`])));
stopOnSignals(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await telemetry.shutdown();
}, root);
