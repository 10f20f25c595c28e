import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Platform } from '@flywheel/platform';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceNames, startEmbeddedPlatform } from '../cli/test/embedded-platform.ts';
import { installSdk } from './python-sdk-install.ts';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

describe('experiment tracking from the Python SDK (test/python/sdk_experiments.py, embedded platform)', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-python-experiments-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    await installSdk();
    platform = await startEmbeddedPlatform(join(dir, 'platform'));
    const config = join(dir, 'config.yaml');
    const addresses = serviceNames.map((s) => `      ${s}: ${platform.address(s)}`).join('\n');
    writeFileSync(
      config,
      `current-context: embedded\ncontexts:\n  embedded:\n    addresses:\n${addresses}\n`,
    );
    env = { ...(process.env as Record<string, string>), FLYWHEEL_CONFIG: config };
    delete env.FLYWHEEL_CONTEXT;
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('sweeps, sorts by a logged metric, filters by tag, compares the runs as a DataFrame and reads a per-epoch series', async () => {
    const result = await run(python, [join(repoRoot, 'test/python/sdk_experiments.py')], {
      cwd: dir,
      env,
      timeout: 240_000,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`sdk_experiments.py failed: ${error.stderr ?? error.message}`);
    });
    // sdk_step.py logs auc = 0.5 + C / 10 for C = 0.5, 2.0, 1.0.
    expect(JSON.parse(result.stdout)).toEqual({
      best_first: [1, 2, 0],
      best_auc: 0.7,
      tagged: true,
      columns: true,
      index: ['experiment', 'state', 'params.C', 'metrics.accuracy', 'metrics.auc'],
      auc_row: [0.55, 0.7, 0.6],
      c_row: [0.5, 2, 1],
      errors: { order_by: true },
      history: [
        ['fit', 0, 1],
        ['fit', 1, 0.5],
        ['fit', 2, 1 / 3],
      ],
      final_loss: 1 / 3,
    });
  }, 300_000);
});
