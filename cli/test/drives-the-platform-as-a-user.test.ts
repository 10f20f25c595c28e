import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '@flywheel/platform';
import { repoRoot, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextArgs, startEmbeddedPlatform } from './embedded-platform.ts';
import { type FlywheelResult, runFlywheel } from './run-flywheel.ts';

// The interpreter of the test venv (test/python/requirements.txt: scikit-learn, skl2onnx, onnx).
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

/** 400 days of weather: rain is likelier on cold, windy days (a seeded generator, the same every run). */
function trainingRows(): string {
  let seed = 7;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  const rows: string[] = [];
  for (let i = 0; i < 400; i++) {
    const temp_max = 15 + 6 * gauss();
    const wind = 4 + gauss();
    const p = 1 / (1 + Math.exp(-(0.5 * (12 - temp_max) + 1.2 * (wind - 4))));
    const event_time = new Date(Date.UTC(2012, 0, 1) + i * 86_400_000).toISOString();
    rows.push(JSON.stringify({ event_time, temp_max, wind, rained: random() < p ? 1 : 0 }));
  }
  return `${rows.join('\n')}\n`;
}

describe('the flywheel CLI, driven as a user drives it (a child process against the embedded platform)', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-e2e-'));
  const env = { FLYWHEEL_CONFIG: join(dir, 'config.yaml'), FLYWHEEL_CONTEXT: '' };
  const flywheel = (...args: string[]): Promise<FlywheelResult> => runFlywheel(args, env);
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    platform = await startEmbeddedPlatform(dir);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('trains with scikit-learn in a run, registers, deploys, infers and reads drift — output and exit codes', async () => {
    // A context naming each service's address, made current.
    const set = await flywheel('context', 'set', 'e2e', ...contextArgs(platform));
    expect(set).toMatchObject({ code: 0 });
    expect((await flywheel('context', 'use', 'e2e')).code).toBe(0);

    // A pipeline whose one step trains a logistic regression and exports it with skl2onnx.
    const trainingSet = file('weather.jsonl', trainingRows());
    const pipeline = file(
      'train-rain.yaml',
      [
        'name: train-rain',
        'description: scikit-learn logistic regression, exported by skl2onnx',
        'spec:',
        '  parameters:',
        '    - { name: training_set_path, required: true }',
        '  steps:',
        '    - name: train',
        '      command:',
        `        command: [${JSON.stringify(python)}, ${JSON.stringify(join(repoRoot, 'examples/steps/train_sklearn.py'))}]`,
        '      parameters:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline template, literally.
        "        training_set_path: '${params.training_set_path}'",
        '        label: rained',
        '  outputs:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline template, literally.
        "    model_path: '${steps.train.outputs.model_path}'",
        '',
      ].join('\n'),
    );
    const applied = await flywheel('pipelines', 'apply', '-f', pipeline);
    expect(applied).toMatchObject({ code: 0, stdout: 'pipeline train-rain created (revision 1, 1 steps)\n' });

    const submitted = await flywheel(
      'runs',
      'submit',
      'train-rain',
      '-p',
      `training_set_path=${trainingSet}`,
      '-o',
      'json',
    );
    expect(submitted.code).toBe(0);
    const runId = (JSON.parse(submitted.stdout) as { run: { id: string } }).run.id;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    // watch prints each step state as it changes, then the outcome; exit 0 because it succeeded.
    const watched = await flywheel('runs', 'watch', runId);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^\S+\s+train\s+SUCCEEDED$/m);
    expect(watched.stdout.trimEnd().split('\n').at(-1)).toBe(`run ${runId} SUCCEEDED`);

    const logs = await flywheel('runs', 'logs', runId);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('train: training on 320 rows, 2 features: temp_max, wind');

    const run = JSON.parse((await flywheel('runs', 'get', runId, '-o', 'json')).stdout) as {
      state: string;
      outputs: { model_path: string };
    };
    expect(run.state).toBe('RUN_STATE_SUCCEEDED');

    // One call: upload, register, alias; the training data becomes the drift reference.
    const registered = await flywheel(
      'models',
      'register',
      '--file',
      run.outputs.model_path,
      '--name',
      'rain',
      '--alias',
      'champion',
      '--metric',
      'accuracy=0.9',
      '--training-data',
      trainingSet,
    );
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(/^registered rain v1, rain@champion → v1\n/);
    expect(registered.stdout).toMatch(/^inputs:\s+temp_max FP32\[-1,1\], wind FP32\[-1,1\]$/m);
    expect(registered.stdout).toMatch(/^outputs:\s+probability FP32\[-1,1\]$/m);

    const models = await flywheel('models', 'list');
    expect(models.stdout.split('\n')[0]).toMatch(/^NAME\s+TEAM\s+LATEST\s+ALIASES\s+CREATED$/);
    expect(models.stdout.split('\n')[1]).toMatch(/^rain\s+default\s+1\s+champion=1\s+\d{4}-/);
    const versions = JSON.parse((await flywheel('versions', 'list', 'rain', '-o', 'json')).stdout) as Array<{
      version: string;
      aliases: string[];
      metrics: Record<string, number>;
    }>;
    expect(versions).toEqual([
      expect.objectContaining({ version: '1', aliases: ['champion'], metrics: { accuracy: 0.9 } }),
    ]);

    // An unknown model: NOT_FOUND's exit code (10 + 5), and a message naming it.
    const unknown = await flywheel('models', 'get', 'no-such-model');
    expect(unknown.code).toBe(15);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe('error: NOT_FOUND: model "no-such-model" does not exist\n');

    const monitor = file(
      'monitor.yaml',
      [
        'name: rain-inputs',
        'model_name: rain',
        'deployment_name: rain',
        'features:',
        '  - { name: temp_max, kind: FEATURE_KIND_NUMERIC }',
        '  - { name: wind, kind: FEATURE_KIND_NUMERIC }',
        'window: { size: 50, min_samples: 50 }',
        'enabled: true',
        '',
      ].join('\n'),
    );
    expect(await flywheel('monitors', 'create', '-f', monitor)).toMatchObject({
      code: 0,
      stdout: 'monitor rain-inputs created for model rain\n',
    });

    const deployed = await flywheel('deploy', 'create', 'rain', '--model', 'rain', '--alias', 'champion');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/^state:\s+READY$/m);
    expect(deployed.stdout).toMatch(/^routes:\s+v1 stable 100%$/m);
    const status = await flywheel('deploy', 'status', 'rain', '-o', 'json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      deployment: { name: 'rain', state: 'DEPLOYMENT_STATE_READY', stableVersion: '1' },
    });

    // A cold windy day and a warm calm one, as CSV: the table has one line per row.
    const csv = file('days.csv', 'temp_max,wind\n5,6\n25,2\n');
    const inferred = await flywheel('infer', 'rain', '--csv', csv);
    expect(inferred.code).toBe(0);
    const [head, coldWindy, warmCalm] = inferred.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^ROW\s+PROBABILITY$/);
    expect(Number(coldWindy?.split(/\s+/)[1])).toBeGreaterThan(0.5);
    expect(Number(warmCalm?.split(/\s+/)[1])).toBeLessThan(0.5);
    const json = JSON.parse(
      (
        await flywheel(
          'infer',
          'rain',
          '--json',
          file('days.json', JSON.stringify([{ temp_max: 5, wind: 6 }])),
          '-o',
          'json',
        )
      ).stdout,
    ) as { model_version: string; outputs: Array<{ name: string; shape: number[]; data: number[] }> };
    expect(json.model_version).toBe('1');
    expect(json.outputs).toEqual([
      { name: 'probability', datatype: 'FP32', shape: [1, 1], data: [expect.any(Number)] },
    ]);
    const missing = await flywheel('infer', 'rain', '--csv', file('bad.csv', 'temp_max\n5\n'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no column for model input wind');

    // 60 hot, stormy days: a shift the monitor's window of 50 must flag.
    const stormy = ['temp_max,wind'];
    for (let i = 0; i < 60; i++)
      stormy.push(`${(30 + 3 * Math.sin(i)).toFixed(2)},${(9 + Math.cos(i)).toFixed(2)}`);
    expect(
      (await flywheel('infer', 'rain', '--csv', file('stormy.csv', `${stormy.join('\n')}\n`))).code,
    ).toBe(0);

    interface Report {
      model_version: number;
      drifted_share: number;
      results: Array<{ feature: string; drifted?: boolean; tests: Array<{ kind: string }> }>;
    }
    const report = await waitFor(
      async () => {
        const r = await flywheel('drift', 'report', 'rain-inputs', '-o', 'json');
        if (r.code !== 0) throw new Error(r.stderr);
        const parsed = JSON.parse(r.stdout) as Report;
        return parsed.results.length === 2 ? parsed : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: 'drift results of both features' },
    );
    expect(report.model_version).toBe(1);
    expect(report.drifted_share).toBe(1);
    expect(report.results.map((r) => [r.feature, r.drifted]).sort()).toEqual([
      ['temp_max', true],
      ['wind', true],
    ]);

    const table = await flywheel('drift', 'report', 'rain-inputs');
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe('monitor rain-inputs: model rain v1, 2 of 2 features drifted (100%)');
    // Per feature: the test, its statistic, DRIFT, the bar past the threshold mark, the reference
    // histogram and the window's beside it (its min, its bins on the reference's axis, its max:
    // the stormy days, over 30°).
    expect(table.stdout).toMatch(
      /^temp_max\s+psi\s+\d+\.\d{4}\s+0\.2\s+DRIFT\s+█+│█+\s+[▁-█]+\s+50\s+-?\d[\d.]*\s[▁-█]{16}\s-?\d[\d.]*\s+-?\d[\d.]*\s[▁-█]{16}\s3\d\.\d+$/m,
    );
    // The stormy window sits at the reference's hot end: its last cells are the tallest.
    const current = /^temp_max\s.*\s[▁-█]{16}\s.*\s([▁-█]{16})\s\S+$/m.exec(table.stdout)?.[1] ?? '';
    expect(current.slice(-4)).toContain('█');
    expect(current.slice(0, 8)).toBe('▁'.repeat(8));
    expect(table.stdout).toMatch(/^wind\s+psi\s+/m);
    expect(table.stdout).not.toContain('\u001b[');

    // A second version as a canary on half the traffic, then rolled back to the stable one.
    const v2 = await flywheel(
      'models',
      'register',
      '--file',
      run.outputs.model_path,
      '--name',
      'rain',
      '--request-id',
      'v2',
    );
    expect(v2.stdout).toMatch(/^registered rain v2\n/);
    const canary = await flywheel('deploy', 'canary', 'rain', '2', '--steps', '50', '--bake', '600');
    expect(canary).toMatchObject({
      code: 0,
      stdout: 'canary of v2 started on rain: v1 stable 50%, v2 canary 50%\n',
    });
    const rolling = JSON.parse((await flywheel('deploy', 'status', 'rain', '-o', 'json')).stdout) as {
      deployment: { state: string };
      rollout: { state: string; candidateVersion: string };
    };
    expect(rolling).toMatchObject({
      deployment: { state: 'DEPLOYMENT_STATE_ROLLING_OUT' },
      rollout: { state: 'ROLLOUT_STATE_PROGRESSING', candidateVersion: '2' },
    });
    const rolledBack = await flywheel('deploy', 'rollback', 'rain', '--reason', 'checked by hand');
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toMatch(/^routes:\s+v1 stable 100%$/m);
  }, 600_000);
});
