import { blobUri } from '@flywheel/blobs';
import { syntheticBinaryData } from '@flywheel/ml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// Issue 9, D3: a 12 s registry outage during a retrain failed `promote` (its attempts spent in
// ~6 s) and left v2 registered but never promoted. Built-in steps retry a peer's retriable errors
// for a budget (default 90 s), so a peer restart — stopped, then started again on the same port
// and data dir — is ridden out.
const outageMs = 12_000;
let harness: BuiltinStepsHarness;
let artifactSha256: string;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ featureStore: false });
  const data = syntheticBinaryData({ rows: 200, seed: 11 });
  const lines = data.rows.map((row, i) =>
    JSON.stringify({
      customer: `c${i % 20}`,
      event_time: new Date(Date.parse('2024-01-01T00:00:00Z') + i * 3_600_000).toISOString(),
      'outcomes:converted': data.labels[i],
      'profile:age': row.age,
      'profile:income': row.income,
      'profile:ratio': row.ratio,
    }),
  );
  const ref = await harness.blobs.put(new TextEncoder().encode(`${lines.join('\n')}\n`));
  const train = await harness.run('train', {
    training_set_uri: blobUri(ref.sha256),
    label: 'outcomes:converted',
    features: ['age', 'income', 'ratio'],
  });
  artifactSha256 = String(train.artifact_sha256);
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

/** Runs `step` with the registry down for {@link outageMs}, restarted on its port and data dir meanwhile. */
async function duringARegistryRestart(step: () => Promise<Record<string, unknown>>) {
  await harness.stopRegistry();
  const outcome = step().then(
    (outputs) => ({ outputs, at: Date.now() }),
    (error: unknown) => ({ error, at: Date.now() }),
  );
  const restart = new Promise<number>((resolve, reject) => {
    setTimeout(() => {
      harness.startRegistry().then(() => resolve(Date.now()), reject);
    }, outageMs);
  });
  const [result, restartedAt] = await Promise.all([outcome, restart]);
  expect(result).not.toHaveProperty('error');
  expect(result.at).toBeGreaterThanOrEqual(restartedAt);
  return (result as { outputs: Record<string, unknown> }).outputs;
}

describe('built-in steps ride out a restart of the registry', () => {
  it('register, then promote, each started while the registry is down, succeed once it is back', async () => {
    const registered = await duringARegistryRestart(() =>
      harness.run(
        'register',
        { model_name: 'outage', artifact_sha256: artifactSha256, training_set_id: 'ts_outage' },
        { runId: 'run-outage' },
      ),
    );
    expect(registered).toMatchObject({ model_version: 1, created: true });

    const promoted = await duringARegistryRestart(() =>
      harness.run(
        'promote',
        {
          model_name: 'outage',
          model_version: 1,
          metric: 'roc_auc',
          candidate_metrics: { roc_auc: 0.9 },
          champion_metrics: null,
          champion_version: null,
        },
        { runId: 'run-outage' },
      ),
    );
    expect(promoted).toMatchObject({ promoted: true, model_version: 1 });
    const { version } = await harness.registry.resolveModelUri({ uri: 'models:/outage@champion' });
    expect(version?.version).toBe(1n);
  }, 120_000);
});
