import { readFileSync } from 'node:fs';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { MonitoringService } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import type { ConsoleConfig } from './config.ts';

/**
 * The six services' public gRPC clients — the console's only source of data. Every call carries
 * the console's TLS client certificate and, when configured, its bearer token.
 */
export function createConsoleClients(config: Pick<ConsoleConfig, 'peers' | 'tls' | 'tokenFile'>) {
  // Read once: a rotated token needs a console restart (documented in the README).
  const token = config.tokenFile ? readFileSync(config.tokenFile, 'utf8').trim() : undefined;
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  const connect = <S extends GenServiceMethods>(service: GenService<S>, address: string) =>
    createRpcClient(service, {
      address,
      tls: config.tls,
      ...(headers ? { headers } : {}),
      defaultTimeoutMs: 10_000,
    });
  return {
    registry: connect(RegistryService, config.peers.registry),
    orchestrator: connect(OrchestratorService, config.peers.orchestrator),
    serving: connect(ServingService, config.peers.serving),
    monitoring: connect(MonitoringService, config.peers.monitoring),
    scheduler: connect(SchedulerService, config.peers.scheduler),
    featureStore: connect(FeatureStoreService, config.peers['feature-store']),
  };
}

export type ConsoleClients = ReturnType<typeof createConsoleClients>;

export function closeConsoleClients(clients: ConsoleClients): void {
  for (const client of Object.values(clients)) client.close();
}
