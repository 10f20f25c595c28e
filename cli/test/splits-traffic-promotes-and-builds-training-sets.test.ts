import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import type { Platform } from '@flywheel/platform';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextArgs, startEmbeddedPlatform } from './embedded-platform.ts';
import { type FlywheelResult, runFlywheel } from './run-flywheel.ts';

/** A logistic regression on two weather features (the two versions differ in their weights). */
function model(weights: [number, number]): Uint8Array {
  return exportLogisticRegressionOnnx({
    featureNames: ['temp_max', 'wind'],
    means: [15, 4],
    stds: [6, 1],
    weights,
    bias: 0,
    l2: 0,
    iterations: 0,
    converged: true,
    loss: 0,
    objective: 0,
  });
}

describe('flywheel deploy traffic|promote and features training-set, as a child process against the embedded platform', () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-traffic-'));
  const env = { FLYWHEEL_CONFIG: join(dir, 'config.yaml'), FLYWHEEL_CONTEXT: 'traffic' };
  const flywheel = (...args: string[]): Promise<FlywheelResult> => runFlywheel(args, env);
  const file = (name: string, content: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(async () => {
    platform = await startEmbeddedPlatform(dir);
    expect((await flywheel('context', 'set', 'traffic', ...contextArgs(platform))).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('splits traffic as A/B, shadow and bandit, promotes a canary and refuses what does not fit', async () => {
    const v1 = file('v1.onnx', model([-0.8, 0.9]));
    const v2 = file('v2.onnx', model([-1.1, 1.7]));
    expect(
      (await flywheel('models', 'register', '--file', v1, '--name', 'rain', '--alias', 'champion')).code,
    ).toBe(0);
    expect((await flywheel('models', 'register', '--file', v2, '--name', 'rain')).stdout).toMatch(
      /^registered rain v2\n/,
    );
    expect((await flywheel('deploy', 'create', 'rain', '--model', 'rain', '--alias', 'champion')).code).toBe(
      0,
    );

    expect(
      await flywheel('deploy', 'traffic', 'rain', '--ab', '1=80,2=20', '--sticky-key', 'user'),
    ).toMatchObject({
      code: 0,
      stdout: 'traffic of rain: v1 variant 80%, v2 variant 20%\n',
    });
    expect(await flywheel('deploy', 'traffic', 'rain', '--shadow', '2', '--mirror', '50')).toMatchObject({
      code: 0,
      stdout: 'traffic of rain: v1 stable 100%, v2 shadow 50%\n',
    });
    const bandit = await flywheel(
      'deploy',
      'traffic',
      'rain',
      '--bandit',
      '1,2',
      '--algorithm',
      'epsilon-greedy',
      '--epsilon',
      '0.2',
      '-o',
      'json',
    );
    expect(bandit.code).toBe(0);
    expect(JSON.parse(bandit.stdout)).toMatchObject({
      rollout: {
        trafficSplit: {
          bandit: { algorithm: 'BANDIT_ALGORITHM_EPSILON_GREEDY', armVersions: ['1', '2'], epsilon: 0.2 },
        },
      },
    });
    expect(JSON.parse(bandit.stdout).deployment.routes.map((r: { role: string }) => r.role)).toEqual([
      'ROUTE_ROLE_ARM',
      'ROUTE_ROLE_ARM',
    ]);

    // None or two strategies, or a bad weight: usage errors naming what to give.
    const none = await flywheel('deploy', 'traffic', 'rain');
    expect(none).toMatchObject({
      code: 2,
      stderr: 'error: give exactly one of --ab, --shadow and --bandit\n',
    });
    expect((await flywheel('deploy', 'traffic', 'rain', '--ab', '1=x')).stderr).toBe(
      'error: --ab 1=x: each must be version=weight\n',
    );
    expect((await flywheel('deploy', 'traffic', 'rain', '--bandit', '1,2', '--algorithm', 'ucb')).code).toBe(
      2,
    );

    // A canary of v2 promoted by hand: v2 stable with all traffic, the rollout ended.
    expect((await flywheel('deploy', 'canary', 'rain', '2', '--steps', '50', '--bake', '600')).code).toBe(0);
    expect(await flywheel('deploy', 'promote', 'rain')).toMatchObject({
      code: 0,
      stdout: 'promoted v2 on rain: v2 stable 100%\n',
    });
    const status = JSON.parse((await flywheel('deploy', 'status', 'rain', '-o', 'json')).stdout) as {
      deployment: { state: string; stableVersion: string };
      rollout: { state: string };
    };
    expect(status.deployment).toMatchObject({ state: 'DEPLOYMENT_STATE_READY', stableVersion: '2' });
    expect(status.rollout.state).not.toBe('ROLLOUT_STATE_PROGRESSING');
    // Nothing left to promote: FAILED_PRECONDITION's exit code and a hint.
    expect(await flywheel('deploy', 'promote', 'rain')).toMatchObject({
      code: 19,
      stderr: 'error: deployment rain has no canary in progress to promote; name a version with --version\n',
    });
    expect((await flywheel('deploy', 'promote', 'rain', '--version', '1')).stdout).toBe(
      'promoted v1 on rain: v1 stable 100%\n',
    );
  }, 600_000);

  it('builds a point-in-time training set from a CSV of entity rows', async () => {
    const view = file(
      'view.yaml',
      [
        'name: station_daily',
        'entity: { name: station, join_keys: [{ name: station, value_type: VALUE_TYPE_STRING }] }',
        'features:',
        '  - { name: temp_max, value_type: VALUE_TYPE_DOUBLE }',
        'ttl: 864000s',
        'source: { batch: { dataset: weather, format: DATASET_FORMAT_JSONL } }',
        'online: true',
        '',
      ].join('\n'),
    );
    expect((await flywheel('features', 'apply', '-f', view)).code).toBe(0);
    // Two days of Seattle in the offline store (through the service's public Ingest).
    const store = createRpcClient(FeatureStoreService, { address: platform.address('feature-store') });
    const seattle = { joinKeys: { station: { kind: { case: 'stringValue' as const, value: 'seattle' } } } };
    const day = (d: number) => ({ seconds: BigInt(Date.UTC(2024, 4, d) / 1000), nanos: 0 });
    await store.ingest({
      featureViewName: 'station_daily',
      rows: [1, 2].map((d) => ({
        entityKey: seattle,
        eventTime: day(d),
        values: { temp_max: { kind: { case: 'doubleValue' as const, value: 10 + d } } },
      })),
    });
    store.close();

    // Each row takes the latest value at or before its event_time.
    const entities = file(
      'entities.csv',
      'station,event_time,rained\nseattle,2024-05-02T12:00:00Z,1\nseattle,2024-05-01T18:00:00Z,0\n',
    );
    const made = await flywheel(
      'features',
      'training-set',
      '--feature',
      'station_daily:temp_max',
      '--entities',
      entities,
      '--join-key',
      'station',
      '--name',
      'rain-2024-05',
    );
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^id:\s+ts_\w+$/m);
    expect(made.stdout).toMatch(/^rows:\s+2$/m);
    expect(made.stdout).toMatch(/^columns:\s+station, event_time, rained, station_daily:temp_max$/m);
    expect(made.stdout).toMatch(/^revisions:\s+station_daily@1$/m);
    const json = JSON.parse(
      (
        await flywheel(
          'features',
          'training-set',
          '--feature',
          'station_daily:temp_max',
          '--entities',
          entities,
          '--join-key',
          'station',
          '--format',
          'csv',
          '-o',
          'json',
        )
      ).stdout,
    ) as { format: string; rowCount: string; blob: { uri: string } };
    expect(json).toMatchObject({ format: 'DATASET_FORMAT_CSV', rowCount: '2' });

    // A row without its join key, and a file without event_time: usage errors naming the line.
    const missingKey = await flywheel(
      'features',
      'training-set',
      '--feature',
      'station_daily:temp_max',
      '--entities',
      file('no-key.csv', 'event_time,rained\n2024-05-02T12:00:00Z,1\n'),
      '--join-key',
      'station',
    );
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toMatch(/no-key\.csv: line 2: no join key station\n$/);
  }, 300_000);
});
