export type { RealServers } from './real-servers.ts';
export { realServers } from './real-servers.ts';
export type { SpawnedService } from './spawn-service.ts';
export { repoRoot, spawnService } from './spawn-service.ts';
export { startInProcess } from './start-in-process.ts';
export type { InProcessService, StartInProcessOptions } from './start-in-process.ts';
export { uniqueName } from './unique-name.ts';
export type { WaitForOptions } from './wait-for.ts';
export { waitFor } from './wait-for.ts';
