export type { RealServers } from './real-servers.ts';
export { realServers } from './real-servers.ts';
export type { SpawnedService } from './spawn-service.ts';
export { repoRoot, spawnService } from './spawn-service.ts';
export { uniqueName } from './unique-name.ts';
export type { WaitForOptions } from './wait-for.ts';
export { waitFor } from './wait-for.ts';
