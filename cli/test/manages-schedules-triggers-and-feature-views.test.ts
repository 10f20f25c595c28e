import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '@flywheel/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextArgs, startEmbeddedPlatform } from './embedded-platform.ts';
import { type FlywheelResult, runFlywheel } from './run-flywheel.ts';

describe('flywheel schedules, triggers and features, as a child process against the embedded platform', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-sched-'));
  const env = { FLYWHEEL_CONFIG: join(dir, 'config.yaml'), FLYWHEEL_CONTEXT: 'sched' };
  const flywheel = (...args: string[]): Promise<FlywheelResult> => runFlywheel(args, env);
  const file = (name: string, lines: string[]): string => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };

  beforeAll(async () => {
    platform = await startEmbeddedPlatform(dir);
    expect((await flywheel('context', 'set', 'sched', ...contextArgs(platform))).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('creates, pauses and lists a schedule and a drift trigger of a pipeline', async () => {
    const pipeline = file('noop.yaml', [
      'name: nightly-noop',
      'spec:',
      '  steps:',
      `    - { name: noop, command: { command: [${JSON.stringify(process.execPath)}, -e, "0"] } }`,
    ]);
    expect((await flywheel('pipelines', 'apply', '-f', pipeline)).code).toBe(0);
    const schedule = file('schedule.yaml', [
      'name: nightly',
      'pipeline_name: nightly-noop',
      'cron: "0 3 * * *"',
    ]);
    expect(await flywheel('schedules', 'create', '-f', schedule)).toMatchObject({
      code: 0,
      stdout: 'schedule nightly created: nightly-noop at "0 3 * * *"\n',
    });
    expect((await flywheel('schedules', 'pause', 'nightly')).stdout).toBe('schedule nightly: paused\n');
    const list = await flywheel('schedules', 'list');
    expect(list.stdout.split('\n')[1]).toMatch(/^nightly\s+nightly-noop\s+0 3 \* \* \*\s+UTC\s+yes$/);

    const trigger = file('trigger.yaml', [
      'name: on-drift',
      'event_type: drift.detected',
      'pipeline_name: nightly-noop',
      'cooldown: 600s',
      'enabled: true',
    ]);
    expect((await flywheel('triggers', 'create', '-f', trigger)).stdout).toBe(
      'trigger on-drift created: drift.detected → nightly-noop\n',
    );
    const triggers = JSON.parse((await flywheel('triggers', 'list', '-o', 'json')).stdout) as unknown[];
    expect(triggers).toEqual([
      expect.objectContaining({ name: 'on-drift', eventType: 'drift.detected', cooldown: '600s' }),
    ]);

    // A schedule of a pipeline that does not exist: NOT_FOUND's exit code, the field and the name.
    const orphan = await flywheel(
      'schedules',
      'create',
      '-f',
      file('orphan.yaml', ['name: orphan', 'pipeline_name: no-such-pipeline', 'cron: "0 3 * * *"']),
    );
    expect(orphan.code).toBe(15);
    expect(orphan.stderr).toBe(
      'error: NOT_FOUND: schedule.pipeline_name: pipeline "no-such-pipeline" does not exist\n',
    );
  });

  it('applies a feature view, lists it and reads online features of an unknown entity as NOT_FOUND', async () => {
    const view = file('view.yaml', [
      'name: station_daily',
      'entity: { name: station, join_keys: [{ name: station, value_type: VALUE_TYPE_STRING }] }',
      'features:',
      '  - { name: temp_max, value_type: VALUE_TYPE_DOUBLE }',
      'ttl: 259200s',
      'source: { batch: { dataset: weather, format: DATASET_FORMAT_JSONL } }',
      'online: true',
    ]);
    expect((await flywheel('features', 'apply', '-f', view)).stdout).toBe(
      'feature view station_daily applied\n',
    );
    expect((await flywheel('features', 'apply', '-f', view)).stdout).toBe(
      'feature view station_daily unchanged\n',
    );
    expect((await flywheel('features', 'list')).stdout.split('\n')[1]).toMatch(
      /^station_daily\s+default\s+station\s+temp_max$/,
    );
    const online = await flywheel(
      'features',
      'get-online',
      '--feature',
      'station_daily:temp_max',
      '--entity',
      'station=nowhere',
    );
    expect(online.code).toBe(0);
    expect(online.stdout.split('\n')[1]).toMatch(/^station_daily:temp_max\s+null\s+NOT_FOUND$/);
    // A file that is not a FeatureView: a usage error naming the file and the field.
    const bad = await flywheel('features', 'apply', '-f', file('bad.yaml', ['name: x', 'colour: blue']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a flywheel.featurestore.v1.FeatureView');
    expect(bad.stderr).toContain('colour');
  });
});
