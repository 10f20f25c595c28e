// The `@flywheel/runtime/testing` entry point: launchers for tests, kept out of the runtime's index.
export type { SpawnedService, SpawnServiceOptions } from './spawn-service.ts';
export { spawnService } from './spawn-service.ts';
export type { InProcessService, StartInProcessOptions } from './start-in-process.ts';
export { startInProcess } from './start-in-process.ts';
export type { ReplicaStack, ReplicaStackOptions, StartReplicaOptions } from './start-replica-stack.ts';
export { startReplicaStack } from './start-replica-stack.ts';
