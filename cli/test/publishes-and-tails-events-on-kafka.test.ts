import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realServers, uniqueName } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { runFlywheel } from './run-flywheel.ts';

describe('flywheel events and dlq on the real Kafka (SASL_SSL), as a child process', () => {
  const servers = realServers();
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-events-'));
  // The broker settings the services read, with a topic prefix of this test's own.
  const env = {
    ...servers.kafkaEnv,
    FLYWHEEL_BUS: 'kafka',
    FLYWHEEL_TOPIC_PREFIX: `${uniqueName('cli')}.`,
    FLYWHEEL_CONFIG: join(dir, 'config.yaml'),
  };

  it('publishes a dataset.arrived from a YAML payload and tails it back decoded', async () => {
    const payload = join(dir, 'arrived.yaml');
    writeFileSync(
      payload,
      [
        'dataset: weather',
        `uri: blob:sha256:${'ab'.repeat(32)}`,
        'format: DATASET_FORMAT_JSONL',
        'row_count: 3',
        '',
      ].join('\n'),
    );
    const published = await runFlywheel(
      ['events', 'publish', 'dataset.arrived', '-f', payload, '-o', 'json'],
      env,
    );
    expect(published.code).toBe(0);
    const sent = JSON.parse(published.stdout) as { id: string };

    const tailed = await runFlywheel(
      ['events', 'tail', 'dataset.arrived', '--from-beginning', '-n', '1', '-o', 'json'],
      env,
    );
    expect(tailed.code).toBe(0);
    expect(JSON.parse(tailed.stdout)).toEqual({
      id: sent.id,
      type: 'dataset.arrived',
      source: 'flywheel/cli',
      time: expect.any(String),
      subject: 'weather',
      data: {
        dataset: 'weather',
        uri: `blob:sha256:${'ab'.repeat(32)}`,
        format: 'DATASET_FORMAT_JSONL',
        rowCount: '3',
      },
    });

    const unknownType = await runFlywheel(['events', 'publish', 'dataset.exploded', '-f', payload], env);
    expect(unknownType.code).toBe(2);
    expect(unknownType.stderr).toContain('"dataset.exploded" is not a documented event type');
  });

  it('lists an empty dead-letter queue, and refuses the in-process bus with the config exit code', async () => {
    const listed = await runFlywheel(['dlq', 'list', 'dataset.arrived', '-o', 'json'], env);
    expect(listed).toMatchObject({ code: 0 });
    expect(JSON.parse(listed.stdout)).toEqual([]);
    const memory = await runFlywheel(['dlq', 'list', 'dataset.arrived'], { ...env, FLYWHEEL_BUS: 'memory' });
    expect(memory.code).toBe(4);
    expect(memory.stderr).toContain('FLYWHEEL_BUS is memory');
  });
});
