export { realServers } from './real-servers.ts';
export type { RealServers } from './real-servers.ts';
export { uniqueName } from './unique-name.ts';
export { waitFor } from './wait-for.ts';
export type { WaitForOptions } from './wait-for.ts';
