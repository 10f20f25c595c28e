// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { Platform } from '@flywheel/platform';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceNames, startEmbeddedPlatform } from '../cli/test/embedded-platform.ts';
import { installSdk } from './python-sdk-install.ts';
import { readmeExamples } from './readme-examples.ts';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

/** Runs a script of test/python with the README's sweep (rain_sweep.py in `work`) importable; its stdout JSON. */
async function runPython(script: string, work: string, env: Record<string, string>): Promise<unknown> {
  const pythonPath = [work, join(repoRoot, 'test/python'), env.PYTHONPATH].filter(Boolean).join(delimiter);
  const result = await run(python, [join(repoRoot, 'test/python', script)], {
    cwd: work,
    env: { ...env, PYTHONPATH: pythonPath },
    timeout: 420_000,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`${script} failed: ${error.stderr ?? error.message}`);
  });
  return JSON.parse(result.stdout);
}

describe('pipelines in Python (clients/python flywheel.pipelines), against the embedded platform', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-python-pipelines-'));
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
    // The README's pipeline example, as a user saves it: rain_sweep.py.
    const sweep = readmeExamples('clients/python/README.md', 'python').find(
      (e) => e.title === 'sweep pipeline',
    );
    writeFileSync(join(dir, 'rain_sweep.py'), sweep?.code ?? '');
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('compiles the README sweep to the proto, applies a pipeline (create, unchanged, update), runs it, and raises the platform refusals with their field', async () => {
    const seen = await runPython('sdk_pipelines.py', dir, env);
    expect(seen).toEqual({
      sweep: {
        steps: ['train', 'pick'],
        train: {
          argv: true,
          pythonpath: true,
          for_each: ['${params.Cs}', 2],
          parameters: { C: '${for_each.item}', rows: '${params.rows}' },
          resources: [1, 512, 0],
          max_attempts: 2,
          timeout_s: 600,
          depends_on: [],
        },
        pick: {
          depends_on: ['train'],
          for_each: false,
          parameters: {
            accuracy: '${steps.train.outputs.accuracy}',
            model_path: '${steps.train.outputs.model_path}',
          },
        },
        parameters: { Cs: [0.0001, 0.003, 0.1, 10], rows: 400 },
        outputs: {
          accuracy: '${steps.pick.outputs.accuracy}',
          model_path: '${steps.pick.outputs.model_path}',
        },
      },
      map_equals_loop: true,
      dynamic: {
        total: { depends_on: [], items: '', parameters: { values: [1], note: 'shards' }, builtin: '' },
        scale: {
          depends_on: ['total'],
          items: '${steps.total.outputs.shards}',
          parameters: { x: '${for_each.item.size}', factor: '${for_each.index}' },
          builtin: '',
        },
        'scale-2': {
          depends_on: ['scale'],
          items: '[1, 2.5]',
          parameters: { x: '${for_each.item}' },
          builtin: '',
        },
        'file-to-blob': {
          depends_on: ['total'],
          items: '',
          parameters: { path: '${steps.total.outputs.note}', format: 'onnx' },
          builtin: 'file-to-blob',
        },
      },
      refused_while_compiling: { missing_argument: true, undeclared_parameter: true, for_each_outside: true },
      apply: { created: 1, again: 1, stored_equal: true, sweep: 1, dynamic: 1 },
      run: {
        state: true,
        outputs: { total: 9 },
        // x = 1.5 (a float), y = 2: a JSON integer given to a `float` parameter arrives as a float.
        scale: { value: 3, label: 'x2 float', metrics: { scaled: 3 } },
        scale_2: { value: 6, label: 'x3 float', metrics: { scaled: 6 } },
        total: { total: 9, note: 'x2 float' },
      },
      updated: { revision: 2, description: 'y has a default now' },
      run_v2: { total: 6 },
      errors: {
        create: { field: 'pipeline.spec.steps[1].name', names_function: true },
        update: { field: 'spec.steps[0].name', names_function: true },
        unknown_parameter: true,
      },
    });
  }, 480_000);

  it('must show: a scikit-learn model registered, deployed and answering like onnxruntime; the README sweep fans out over 4 values of C; the best iteration promoted and serving', async () => {
    const seen = await runPython('sdk_sweep.py', dir, env);
    expect(seen).toEqual({
      first: {
        version: 1,
        signature: [
          ['temp_max', 'FP32', [-1, 1]],
          ['wind', 'FP32', [-1, 1]],
          ['label', 'INT64', [-1]],
          ['probabilities', 'FP32', [-1, 2]],
        ],
        served_like_onnxruntime: true,
      },
      sweep: {
        state: true,
        iterations: [
          ['train[0]', 0],
          ['train[1]', 1],
          ['train[2]', 2],
          ['train[3]', 3],
        ],
        items: [0.0001, 0.003, 0.1, 10],
        params_C: [0.0001, 0.003, 0.1, 10],
        accuracies_differ: true,
        states: ['STEP_STATE_SUCCEEDED'],
        picked_is_argmax: true,
        picked_accuracy: true,
        run_outputs: true,
      },
      promoted: {
        version: 2,
        champion: true,
        serving: true,
        metric: true,
        served_like_onnxruntime: true,
      },
    });
  }, 480_000);
});
