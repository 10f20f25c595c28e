import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '@flywheel/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextArgs, startEmbeddedPlatform } from './embedded-platform.ts';
import { type FlywheelResult, runFlywheel } from './run-flywheel.ts';

// A step that logs `roc_auc` = its `auc` parameter through the outputs file, as log_metrics does.
const script = [
  "const fs = require('node:fs');",
  'const p = JSON.parse(fs.readFileSync(process.env.FLYWHEEL_PARAMETERS_FILE, "utf8"));',
  'fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ metrics: { roc_auc: Number(p.auc) } }));',
].join(' ');

describe('flywheel runs compare / list --order-by (a child process against the embedded platform)', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-experiments-'));
  const env = { FLYWHEEL_CONFIG: join(dir, 'config.yaml'), FLYWHEEL_CONTEXT: '' };
  const flywheel = (...args: string[]): Promise<FlywheelResult> => runFlywheel(args, env);
  const ids: string[] = [];

  beforeAll(async () => {
    platform = await startEmbeddedPlatform(dir);
    expect((await flywheel('context', 'set', 'e2e', ...contextArgs(platform))).code).toBe(0);
    expect((await flywheel('context', 'use', 'e2e')).code).toBe(0);
    const spec = join(dir, 'sweep.json');
    writeFileSync(
      spec,
      JSON.stringify({
        parameters: [{ name: 'auc', required: true }],
        steps: [
          {
            name: 'train',
            command: { command: [process.execPath, '-e', script] },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline template, literally.
            parameters: { auc: '${params.auc}' },
          },
        ],
      }),
    );
    for (const [auc, tag] of [
      ['0.7', 'low'],
      ['0.9', 'high'],
      ['0.8', 'mid'],
    ] as const) {
      const submitted = await flywheel(
        'runs',
        'submit',
        '-f',
        spec,
        '-p',
        `auc=${auc}`,
        '--experiment',
        'churn',
        '--tag',
        'sweep',
        tag,
        '--watch',
      );
      expect(submitted).toMatchObject({ code: 0 });
      const id = /run (\S+) submitted/.exec(submitted.stderr)?.[1];
      expect(id).toBeDefined();
      ids.push(id!);
    }
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('prints parameters and metrics side by side, one column per run', async () => {
    const compared = await flywheel('runs', 'compare', ...ids);
    expect(compared).toMatchObject({ code: 0, stderr: '' });
    const lines = compared.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(/\s+/))).toEqual([
      ['RUN', ...ids],
      ['experiment', 'churn', 'churn', 'churn'],
      ['state', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
      ['params.auc', '0.7', '0.9', '0.8'],
      ['metrics.roc_auc', '0.7', '0.9', '0.8'],
    ]);
    const json = JSON.parse((await flywheel('runs', 'compare', ...ids, '-o', 'json')).stdout) as {
      metricNames: string[];
      runs: { runId: string; metrics: Record<string, number> }[];
    };
    expect(json.metricNames).toEqual(['roc_auc']);
    expect(json.runs.map((r) => r.metrics.roc_auc)).toEqual([0.7, 0.9, 0.8]);
  });

  it('lists the experiment best first by a metric, and one tag', async () => {
    const listed = await flywheel(
      'runs',
      'list',
      '--experiment',
      'churn',
      '--order-by',
      'metrics.roc_auc desc',
    );
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trimEnd().split('\n').slice(1);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual([ids[1], ids[2], ids[0]]);
    expect(listed.stdout.split('\n')[0]).toContain('ROC_AUC');
    const high = await flywheel('runs', 'list', '--tag', 'high', '-o', 'json');
    expect((JSON.parse(high.stdout) as { id: string }[]).map((r) => r.id)).toEqual([ids[1]]);
  });

  it('exits non-zero naming the field for an order it cannot sort by, and for one run', async () => {
    const bad = await flywheel('runs', 'list', '--experiment', 'churn', '--order-by', 'create_time');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('order_by');
    const one = await flywheel('runs', 'compare', ids[0]!);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toContain('run_ids');
  });
});
