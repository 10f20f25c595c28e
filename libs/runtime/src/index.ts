export { loadHostConfig, readHostConfig } from './host-config.ts';
export type { HostConfig } from './host-config.ts';
export { runService, stopOnSignals } from './run-service.ts';
export type { RunningService, RunServiceOptions, ServiceWiring } from './run-service.ts';
