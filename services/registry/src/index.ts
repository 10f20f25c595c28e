export { registryPolicy } from './api/registry-policy.ts';
export type { RegistryConfig } from './config.ts';
export { loadRegistryConfig } from './config.ts';
export { wireRegistry } from './wire-registry.ts';
