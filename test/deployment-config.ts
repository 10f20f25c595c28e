// What each Flywheel process of a deployment binds and calls, read by that process's own config
// loader from the environment a deployment (Kubernetes manifests, docker-compose.yml) gives it —
// so a port or peer address the manifests get wrong fails here, not in a cluster.
import { loadConsoleConfig } from '@flywheel/console';
import type { Env } from '@flywheel/core';
import { loadFeatureStoreConfig } from '@flywheel/feature-store';
import { loadMonitoringConfig } from '@flywheel/monitoring';
import { loadOrchestratorConfig } from '@flywheel/orchestrator';
import { loadRegistryConfig } from '@flywheel/registry';
import type { ServiceName } from '@flywheel/runtime';
import { loadSchedulerConfig } from '@flywheel/scheduler';
import { loadServingConfig } from '@flywheel/serving';

export type ProcessName = ServiceName | 'console';

export const processNames: readonly ProcessName[] = [
  'scheduler',
  'orchestrator',
  'registry',
  'feature-store',
  'serving',
  'monitoring',
  'console',
];

export interface Address {
  host: string;
  port: number;
}

/** The addresses one process listens on and the peers it calls, as its config loader reads them. */
export interface ProcessEndpoints {
  /** gRPC (absent for the console, which serves HTTP only). */
  grpc?: Address;
  metrics?: Address;
  /** Serving's REST, the feature store's HTTP API, the console. */
  http?: Address;
  /** Peer service → the address this process calls it at. */
  peers: Partial<Record<ServiceName, Address>>;
}

export function addressOf(hostPort: string): Address {
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

function peersOf(peers: Partial<Record<ServiceName, string>>): ProcessEndpoints['peers'] {
  return Object.fromEntries(Object.entries(peers).map(([name, at]) => [name, addressOf(at as string)]));
}

/** Loads `name`'s configuration from `env` (throwing its config errors, every problem named). */
export function endpointsOf(name: ProcessName, env: Env): ProcessEndpoints {
  const hostOf = (host: { grpcAddress: string; metrics: { enabled: boolean; address: string } }) => ({
    grpc: addressOf(host.grpcAddress),
    ...(host.metrics.enabled ? { metrics: addressOf(host.metrics.address) } : {}),
  });
  switch (name) {
    case 'scheduler':
      return { ...hostOf(loadSchedulerConfig(env).host), peers: {} };
    case 'registry':
      return { ...hostOf(loadRegistryConfig(env).host), peers: {} };
    case 'orchestrator': {
      const config = loadOrchestratorConfig(env);
      return { ...hostOf(config.host), peers: peersOf(config.peers) };
    }
    case 'feature-store': {
      const config = loadFeatureStoreConfig(env);
      return { ...hostOf(config.host), http: addressOf(config.http.address), peers: {} };
    }
    case 'serving': {
      const config = loadServingConfig(env);
      return { ...hostOf(config.host), http: addressOf(config.http.address), peers: peersOf(config.peers) };
    }
    case 'monitoring': {
      const config = loadMonitoringConfig(env);
      return { ...hostOf(config.host), peers: peersOf(config.peers) };
    }
    case 'console': {
      const config = loadConsoleConfig(env);
      return { http: { host: config.httpHost, port: config.httpPort }, peers: peersOf(config.peers) };
    }
  }
}
