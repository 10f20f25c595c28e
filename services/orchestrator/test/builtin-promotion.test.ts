import { blobUri } from '@flywheel/blobs';
import { isAppError } from '@flywheel/core';
import { syntheticBinaryData } from '@flywheel/ml';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotionDecisionsCollection } from '../src/builtin-steps/index.ts';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// Train → evaluate → register → promote on a synthetic training set written straight to the blob
// store (as the feature store writes one: JSON Lines, `<view>:<feature>` columns), against the REAL
// registry; the weather data through the real feature store is builtin-weather-retrain.test.ts.
const rowCount = 500;
let harness: BuiltinStepsHarness;
let trainingSetUri: string;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ featureStore: false, codeVersion: 'git:abc123' });
  const data = syntheticBinaryData({ rows: rowCount, seed: 7 });
  const start = Date.parse('2024-01-01T00:00:00Z');
  const lines = data.rows.map((row, i) =>
    JSON.stringify({
      customer: `c${i % 50}`,
      event_time: new Date(start + i * 3_600_000).toISOString(),
      'outcomes:converted': data.labels[i],
      'profile:age': row.age,
      'profile:income': row.income,
      'profile:ratio': row.ratio,
    }),
  );
  const ref = await harness.blobs.put(new TextEncoder().encode(`${lines.join('\n')}\n`));
  trainingSetUri = blobUri(ref.sha256);
});

afterAll(async () => {
  await harness?.close();
});

const label = 'outcomes:converted';
const features = ['age', 'income', 'ratio'];

async function trainAndEvaluate(runId: string, modelName: string, l2: number) {
  const at = { runId };
  const train = await harness.run('train', { training_set_uri: trainingSetUri, label, features, l2 }, at);
  const evaluation = await harness.run(
    'evaluate',
    {
      training_set_uri: trainingSetUri,
      label,
      artifact_sha256: train.artifact_sha256,
      model_name: modelName,
    },
    at,
  );
  const registered = await harness.run(
    'register',
    {
      model_name: modelName,
      artifact_sha256: train.artifact_sha256,
      training_set_id: 'ts_synthetic',
      metrics: evaluation.candidate,
      parameters: train.parameters,
    },
    at,
  );
  return { train, evaluation, registered };
}

function promoteParameters(
  modelName: string,
  run: Awaited<ReturnType<typeof trainAndEvaluate>>,
  metric: string,
  margin = 0,
): Record<string, unknown> {
  return {
    model_name: modelName,
    model_version: run.registered.model_version,
    metric,
    margin,
    candidate_metrics: run.evaluation.candidate,
    champion_metrics: run.evaluation.champion,
    champion_version: run.evaluation.champion_version,
  };
}

describe('promotion through the built-in steps', () => {
  it('makes the first candidate champion, trained without its holdout and registered with lineage', async () => {
    const run = await trainAndEvaluate('run-first', 'churn', 1e-4);
    expect(run.train.train_rows).toBe(rowCount * 0.8);
    expect(run.train.feature_names).toEqual(features);
    expect(run.evaluation).toMatchObject({
      champion: null,
      champion_version: null,
      holdout_rows: rowCount * 0.2,
    });
    expect((run.evaluation.candidate as Record<string, number>).roc_auc).toBeGreaterThan(0.85);
    expect(run.registered).toMatchObject({ model_version: 1, created: true, model_uri: 'models:/churn/1' });

    const promoted = await harness.run('promote', promoteParameters('churn', run, 'roc_auc'), {
      runId: 'run-first',
    });
    expect(promoted).toMatchObject({ promoted: true, model_version: 1, previous_champion: null, gates: [] });

    const { version } = await harness.registry.resolveModelUri({ uri: 'models:/churn@champion' });
    expect(version?.version).toBe(1n);
    expect(version?.artifact?.blob?.sha256).toBe(run.train.artifact_sha256);
    expect(version?.lineage).toMatchObject({
      trainingSetRef: 'ts_synthetic',
      pipelineRunId: 'run-first',
      pipelineName: 'retrain-weather',
      codeVersion: 'git:abc123',
    });
    expect(version?.signature?.inputs.map((input) => [input.name, input.datatype, input.shape])).toEqual(
      features.map((name) => [name, 'FP32', [-1n, 1n]]),
    );
    expect(version?.metrics.roc_auc).toBe((run.evaluation.candidate as Record<string, number>).roc_auc);
    expect(version?.parameters).toMatchObject({ trainer: 'logistic-regression', l2: '0.0001' });
  });

  it('rejects a worse candidate with one promotion.rejected, however often promote is retried', async () => {
    const champion = await trainAndEvaluate('run-champion', 'churn-reject', 1e-4);
    await harness.run('promote', promoteParameters('churn-reject', champion, 'roc_auc'), {
      runId: 'run-champion',
    });
    const { version: before } = await harness.registry.resolveModelUri({
      uri: 'models:/churn-reject@champion',
    });

    // l2 = 1000 shrinks every weight to ~0: nearly constant probabilities, far worse calibrated.
    const run = await trainAndEvaluate('run-weak', 'churn-reject', 1000);
    expect(run.evaluation.champion_version).toBe(1);
    const parameters = promoteParameters('churn-reject', run, 'log_loss');
    const first = await harness.run('promote', parameters, { runId: 'run-weak', attempt: 1 });
    const retried = await harness.run('promote', parameters, { runId: 'run-weak', attempt: 2 });
    expect(first).toMatchObject({ promoted: false, previous_champion: Number(before?.version) });
    expect(first.reason).toMatch(/log_loss .* is not < champion v\d+/);
    expect(retried).toEqual(first);

    // A later decision on the same key: once its event is on the bus, the earlier ones are too.
    const sentinel = await trainAndEvaluate('run-sentinel', 'churn-reject', 1000);
    await harness.run('promote', promoteParameters('churn-reject', sentinel, 'log_loss'), {
      runId: 'run-sentinel',
    });
    await waitFor(() => harness.rejections().some((event) => event.pipelineRunId === 'run-sentinel'), {
      what: 'the sentinel promotion.rejected',
    });

    const events = harness.rejections().filter((event) => event.pipelineRunId === 'run-weak');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      modelName: 'churn-reject',
      candidateVersion: BigInt(run.registered.model_version as number),
      championVersion: before?.version,
      alias: 'champion',
      team: 'default',
      gates: [{ metric: 'log_loss', comparison: '<', passed: false }],
    });
    expect(events[0]?.gates[0]?.candidateValue).toBeGreaterThan(
      events[0]?.gates[0]?.championValue ?? Infinity,
    );

    const decision = await harness.infra.store
      .collection(promotionDecisionsCollection)
      .get('run-weak/promote');
    expect(decision).toMatchObject({
      version: 1,
      data: { promoted: false, candidateVersion: run.registered.model_version },
    });
    const { version: after } = await harness.registry.resolveModelUri({
      uri: 'models:/churn-reject@champion',
    });
    expect(after?.version).toBe(before?.version);
  });

  it('registers once per step: a retried register returns the same version', async () => {
    const run = await trainAndEvaluate('run-register-twice', 'churn-idempotent', 1e-4);
    const again = await harness.run(
      'register',
      {
        model_name: 'churn-idempotent',
        artifact_sha256: run.train.artifact_sha256,
        training_set_id: 'ts_synthetic',
        metrics: run.evaluation.candidate,
      },
      { runId: 'run-register-twice', attempt: 2 },
    );
    expect(again).toMatchObject({ model_version: run.registered.model_version, created: false });
    const { versions } = await harness.registry.listVersions({ modelName: 'churn-idempotent' });
    expect(versions).toHaveLength(1);
  });

  it("records the producing step's code_version when given, the orchestrator's otherwise", async () => {
    const run = await trainAndEvaluate('run-code-version', 'churn-code', 1e-4);
    const registered = await harness.run(
      'register',
      {
        model_name: 'churn-code',
        artifact_sha256: run.train.artifact_sha256,
        training_set_id: 'ts_synthetic',
        code_version: 'sha256:0f0f',
      },
      { runId: 'run-code-version-2' },
    );
    const { version } = await harness.registry.getVersion({
      modelName: 'churn-code',
      modelVersion: BigInt(registered.model_version as number),
    });
    expect(version?.lineage?.codeVersion).toBe('sha256:0f0f');
    const first = await harness.registry.getVersion({ modelName: 'churn-code', modelVersion: 1n });
    expect(first.version?.lineage?.codeVersion).toBe('git:abc123');
  });

  it('trains the same artifact on a retry, so evaluation and registration see one model', async () => {
    const parameters = { training_set_uri: trainingSetUri, label, features };
    const first = await harness.run('train', parameters, { runId: 'run-train-twice', attempt: 1 });
    const second = await harness.run('train', parameters, { runId: 'run-train-twice', attempt: 2 });
    expect(second.artifact_sha256).toBe(first.artifact_sha256);
  });

  it('promotes a better candidate over the champion, moving the alias with compare-and-set', async () => {
    const weak = await trainAndEvaluate('run-cas-1', 'churn-cas', 1000);
    await harness.run('promote', promoteParameters('churn-cas', weak, 'roc_auc'), { runId: 'run-cas-1' });
    const strong = await trainAndEvaluate('run-cas-2', 'churn-cas', 1e-4);
    expect(strong.evaluation.champion_version).toBe(1);
    const promoted = await harness.run('promote', promoteParameters('churn-cas', strong, 'log_loss'), {
      runId: 'run-cas-2',
    });
    expect(promoted).toMatchObject({ promoted: true, model_version: 2, previous_champion: 1 });
    expect(promoted.gates).toEqual([
      expect.objectContaining({ metric: 'log_loss', comparison: '<', passed: true }),
    ]);
    // The engine retries a step whose outcome it did not see: the alias is already there, so it succeeds.
    const retried = await harness.run('promote', promoteParameters('churn-cas', strong, 'log_loss'), {
      runId: 'run-cas-2',
      attempt: 2,
    });
    expect(retried).toEqual(promoted);
    // The pass is an event too, once per step however often it ran, with the metrics compared.
    await waitFor(() => harness.passes().some((event) => event.pipelineRunId === 'run-cas-2'), {
      what: 'the promotion.passed of run-cas-2',
    });
    const passes = harness.passes().filter((event) => event.pipelineRunId === 'run-cas-2');
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatchObject({
      modelName: 'churn-cas',
      candidateVersion: 2n,
      championVersion: 1n,
      alias: 'champion',
      team: 'default',
      gates: [{ metric: 'log_loss', comparison: '<', passed: true }],
    });
    expect(passes[0]?.gates[0]?.candidateValue).toBe(
      (strong.evaluation.candidate as Record<string, number>).log_loss,
    );
    expect(passes[0]?.gates[0]?.championValue).toBe(
      (strong.evaluation.champion as Record<string, number>).log_loss,
    );
    const { changes } = await harness.registry.getAliasHistory({ modelName: 'churn-cas', alias: 'champion' });
    expect(changes.map((change) => [change.previousVersion, change.modelVersion])).toEqual([
      [1n, 2n],
      [0n, 1n],
    ]);
  });

  it('does not promote over an alias someone moved since evaluation', async () => {
    const first = await trainAndEvaluate('run-race-1', 'churn-race', 1000);
    await harness.run('promote', promoteParameters('churn-race', first, 'roc_auc'), { runId: 'run-race-1' });
    const candidate = await trainAndEvaluate('run-race-2', 'churn-race', 1e-4);
    const manual = await trainAndEvaluate('run-race-manual', 'churn-race', 1e-4);
    await harness.registry.setAlias({
      modelName: 'churn-race',
      alias: 'champion',
      modelVersion: BigInt(manual.registered.model_version as number),
      reason: 'a person promoted it by hand',
    });
    const error = await harness
      .run('promote', promoteParameters('churn-race', candidate, 'log_loss'), { runId: 'run-race-2' })
      .catch((thrown: unknown) => thrown);
    expect(isAppError(error, 'failed_precondition')).toBe(true);
    expect(error).toMatchObject({ retriable: false });
    expect((error as Error).message).toMatch(/moved to v3 since evaluation \(expected v1\)/);
  });
});
