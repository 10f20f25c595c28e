export type { HostConfig, ServiceName } from './host-config.ts';
export {
  consumerGroupPrefixOf,
  defaultMetricsAddress,
  grpcAddressVariable,
  metricsAddressVariable,
  readHostConfig,
  readPeers,
  servicePorts,
} from './host-config.ts';
export type { Infra, InfraConfig, OpenInfraOptions } from './infra.ts';
export { openInfra, readInfraConfig } from './infra.ts';
export type {
  ConsumeOptions,
  HostedConsumer,
  RunningService,
  RunServiceOptions,
  ServiceHost,
  ServiceWiring,
} from './run-service.ts';
export { consumerHealthName, runService, stopOnSignals } from './run-service.ts';
