export type { HostConfig } from './host-config.ts';
export { loadHostConfig, readHostConfig } from './host-config.ts';
export type { RunningService, RunServiceOptions, ServiceWiring } from './run-service.ts';
export { runService, stopOnSignals } from './run-service.ts';
