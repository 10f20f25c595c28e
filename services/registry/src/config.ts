import { ConfigReader, type Env } from '@flywheel/core';
import { type HostConfig, type InfraConfig, readHostConfig, readInfraConfig } from '@flywheel/runtime';

/** Everything the registry service reads from its environment, parsed once. */
export interface RegistryConfig {
  host: HostConfig;
  infra: InfraConfig;
  /** Largest artifact UploadArtifact accepts, bytes (`FLYWHEEL_REGISTRY_MAX_ARTIFACT_BYTES`, default 2 GiB). */
  maxArtifactBytes: number;
}

/** The registry service's settings; see the README for the variables. Throws one error listing every problem. */
export function loadRegistryConfig(env: Env): RegistryConfig {
  const reader = new ConfigReader(env);
  const host = readHostConfig(reader, 'registry');
  const infra = readInfraConfig(reader, 'registry');
  const maxArtifactBytes = reader.int('FLYWHEEL_REGISTRY_MAX_ARTIFACT_BYTES', 2 * 1024 ** 3, {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  });
  reader.done();
  return { host, infra, maxArtifactBytes };
}
