import { join } from 'node:path';
import { silentLogger } from '@flywheel/core';
import { type Platform, startPlatform } from '@flywheel/platform';

export const serviceNames = [
  'scheduler',
  'orchestrator',
  'registry',
  'feature-store',
  'serving',
  'monitoring',
] as const;

/** The six services in this process on free ports, embedded adapters, data under `dir`. */
export function startEmbeddedPlatform(dir: string): Promise<Platform> {
  return startPlatform(
    {
      ...process.env,
      ...Object.fromEntries(
        serviceNames.map((s) => [
          `FLYWHEEL_${s.toUpperCase().replace('-', '_')}_GRPC_ADDRESS`,
          '127.0.0.1:0',
        ]),
      ),
      FLYWHEEL_STORE_DIR: join(dir, 'store'),
      FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
      FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'work'),
      FLYWHEEL_BUS: 'memory',
      FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
      FLYWHEEL_LOG_LEVEL: 'warn',
    },
    process.env.FLYWHEEL_TEST_LOG ? {} : { log: silentLogger },
  );
}

/** `context set <name>` arguments naming each service's address on `platform`. */
export function contextArgs(platform: Platform): string[] {
  return serviceNames.flatMap((s) => [`--${s}`, platform.address(s)]);
}
