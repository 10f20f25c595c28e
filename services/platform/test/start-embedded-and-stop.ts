// Starts the embedded platform as `./flywheel start` does (no demo), on free ports and temp
// directories, then stops it: the process whose loaded packages the embedded start-up test reads.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcAddressVariable, type ServiceName, servicePorts } from '@flywheel/runtime';
import { startPlatform } from '../src/start-platform.ts';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-embedded-start-'));
const env: Record<string, string | undefined> = {
  ...process.env,
  FLYWHEEL_STORE_DIR: join(dir, 'store'),
  FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
  FLYWHEEL_SERVING_HTTP_ADDRESS: '127.0.0.1:0',
  FLYWHEEL_FEATURE_STORE_HTTP_ADDRESS: '127.0.0.1:0',
  FLYWHEEL_LOG_LEVEL: 'warn',
  FLYWHEEL_TELEMETRY: 'off',
};
for (const name of Object.keys(servicePorts) as ServiceName[]) env[grpcAddressVariable(name)] = '127.0.0.1:0';
const platform = await startPlatform(env);
await platform.stop();
process.exit(0);
