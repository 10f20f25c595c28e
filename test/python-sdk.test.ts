import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Platform } from '@flywheel/platform';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceNames, startEmbeddedPlatform } from '../cli/test/embedded-platform.ts';
import { installSdk } from './python-sdk-install.ts';
import { readmeExamples } from './readme-examples.ts';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

describe('the Python SDK (clients/python), driven as a user against the embedded platform', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-python-sdk-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    await installSdk();
    platform = await startEmbeddedPlatform(join(dir, 'platform'));
    // The CLI's context file, as `flywheel context set embedded --registry … && flywheel context use embedded` writes it.
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

  it('runs the README quick start as written: an estimator registered, deployed and answering', async () => {
    const [example] = readmeExamples('clients/python/README.md', 'python');
    expect(example?.title).toBe('quick start');
    const work = join(dir, 'quick-start');
    mkdirSync(work);
    const file = join(work, 'quick_start.py');
    writeFileSync(file, example?.code ?? '');
    const { stdout } = await run(python, [file], { cwd: work, env, timeout: 240_000 });
    expect(stdout).toBe('rain v1 is champion and serves: [1, 0]\n');
  }, 300_000);

  it('registers with a signature, deploys, predicts like onnxruntime, builds a training set, runs a step, and raises typed errors', async () => {
    const result = await run(python, [join(repoRoot, 'test/python/sdk_journey.py')], {
      cwd: dir,
      env,
      timeout: 280_000,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`sdk_journey.py failed: ${error.stderr ?? error.message}`);
    });
    const seen = JSON.parse(result.stdout);
    expect(seen.registered).toEqual({
      version: 1,
      aliases: ['champion'],
      inputs: [
        ['temp_max', 'FP32', [-1, 1]],
        ['wind', 'FP32', [-1, 1]],
      ],
      outputs: [
        ['label', 'INT64', [-1]],
        ['probabilities', 'FP32', [-1, 2]],
      ],
      metrics: { accuracy: expect.any(Number) },
      params: { n_estimators: '8', max_depth: '4' },
    });
    expect(seen.registered_again).toBe(seen.registered.version);
    expect(seen.deployment).toEqual({ state: true, stable_version: seen.registered.version });
    expect(seen.predict_columns).toEqual(['label', 'probabilities_0', 'probabilities_1']);
    expect(seen.equal_to_onnxruntime).toBe(true);
    expect(seen.predict_dict).toEqual({ label: [4], probabilities: [4, 2] });
    expect(seen.tritonclient_equal).toBe(true);
    expect(seen.training_set).toEqual({
      id: true,
      row_count: 2,
      columns: ['station', 'event_time', 'rained', 'sdk_daily:temp_max'],
      temp_max: [14.5, 17.0],
      rained: [1, 0],
    });
    expect(seen.run.last).toBe(true);
    expect(seen.run.distinct).toBe(true);
    expect(seen.run.updates).toBeGreaterThanOrEqual(2);
    expect(seen.run.outputs).toEqual({
      params: { C: 0.5, solver: 'lbfgs' },
      metrics: { auc: 0.55, accuracy: 0.8 },
      model_path: 'none',
    });
    expect(seen.wait_run).toBe(true);
    expect(seen.errors).toEqual({
      not_found: ['NOT_FOUND', true, true],
      invalid_name: ['INVALID_ARGUMENT', true],
      not_onnx: ['INVALID_ARGUMENT', true],
      no_pipeline: 'NOT_FOUND',
      unreachable: 'UNAVAILABLE',
    });
  }, 300_000);
});
