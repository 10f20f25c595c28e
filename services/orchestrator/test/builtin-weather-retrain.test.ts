import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { parseBlobUri } from '@flywheel/blobs';
import { decodeEvent, fromWireMessage } from '@flywheel/events';
import { type WeatherRow, weatherDataset } from '@flywheel/example-weather';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  ModelAliasChangedSchema,
  ModelVersionRegisteredSchema,
} from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// The closed loop's retrain on real weather (vega-datasets, Seattle), through the REAL feature store
// and registry: the dataset arrives as `dataset.arrived`, the feature store ingests it, and the
// built-in steps build a point-in-time training set, train, evaluate, register and promote.
const window = { start_time: '2012-01-01T00:00:00Z', end_time: '2015-01-01T00:00:00Z' };
const features = ['weather_daily:temp_max', 'weather_daily:temp_min', 'weather_daily:wind'];
const label = 'weather_labels:rained';
const modelInputs = ['temp_max', 'temp_min', 'wind'];
// Corrections published at noon: for the label at midnight of that day they lie in the future, and
// by the next midnight a newer row supersedes them, so a point-in-time join never returns them.
const trapDays = ['2013-03-05', '2013-07-19', '2014-11-02'];
const trapValue = 99;

let harness: BuiltinStepsHarness;
let seattle: WeatherRow[];

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ codeVersion: 'git:0123abc' });
  seattle = (await weatherDataset()).filter((row) => row.station === 'seattle');
  await harness.ingestWeather(seattle);
  await harness.featureStore.ingest({
    featureViewName: 'weather_daily',
    rows: trapDays.map((day) => ({
      entityKey: { joinKeys: { station: { kind: { case: 'stringValue', value: 'seattle' } } } },
      eventTime: timestampFromMs(Date.parse(`${day}T12:00:00Z`)),
      values: Object.fromEntries(
        modelInputs.map((name) => [name, { kind: { case: 'doubleValue', value: trapValue } }]),
      ),
    })),
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('retraining the weather model with the built-in steps', () => {
  const runId = 'run-seattle-v1';
  let trainingSet: Record<string, unknown>;
  let candidate: Record<string, unknown>;
  let evaluation: Record<string, unknown>;
  let registered: Record<string, unknown>;

  it('builds a point-in-time training set of every Seattle day in the window, once per step', async () => {
    const parameters = { features, label_view: 'weather_labels', ...window, name: 'seattle-2012-2014' };
    trainingSet = await harness.run('training-set', parameters, { runId });
    expect(trainingSet).toMatchObject({
      training_set_id: expect.stringMatching(/^ts_/),
      uri: expect.stringMatching(/^blob:sha256:[0-9a-f]{64}$/),
      row_count: 366 + 365 + 365,
    });
    expect(trainingSet.columns).toEqual(
      expect.arrayContaining(['station', 'event_time', label, ...features]),
    );
    const retried = await harness.run('training-set', parameters, { runId, attempt: 2 });
    expect(retried.training_set_id).toBe(trainingSet.training_set_id);
  });

  it('never joins a feature from after the label time', async () => {
    const bytes = await harness.blobs.getBytes(parseBlobUri(trainingSet.uri as string));
    const rows = new TextDecoder()
      .decode(bytes)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(trainingSet.row_count as number);
    const byTime = new Map(seattle.map((day) => [Date.parse(day.event_time), day]));
    for (const row of rows) {
      const day = byTime.get(Date.parse(row.event_time as string));
      // The features are the station's own values of that day, never the noon correction after it.
      expect([
        row['weather_daily:temp_max'],
        row['weather_daily:temp_min'],
        row['weather_daily:wind'],
      ]).toEqual([day?.temp_max, day?.temp_min, day?.wind]);
      expect(row[label]).toBe(day?.rained);
    }
    const values = rows.flatMap((row) => features.map((feature) => row[feature]));
    expect(values).not.toContain(trapValue);
  });

  it('trains on all but the latest 20 % and scores ROC AUC > 0.8 on that holdout, with no champion yet', async () => {
    candidate = await harness.run(
      'train',
      { training_set_uri: trainingSet.uri, label, features: modelInputs },
      { runId },
    );
    expect(candidate.train_rows).toBe(1096 - Math.round(1096 * 0.2));
    evaluation = await harness.run(
      'evaluate',
      {
        training_set_uri: trainingSet.uri,
        label,
        artifact_sha256: candidate.artifact_sha256,
        model_name: 'weather',
      },
      { runId },
    );
    expect(evaluation).toMatchObject({
      champion: null,
      champion_version: null,
      holdout_rows: Math.round(1096 * 0.2),
    });
    expect((evaluation.candidate as Record<string, number>).roc_auc).toBeGreaterThan(0.8);
  });

  it('registers v1 with its lineage, idempotently, and promotes it to champion', async () => {
    const parameters = {
      model_name: 'weather',
      artifact_sha256: candidate.artifact_sha256,
      training_set_id: trainingSet.training_set_id,
      metrics: evaluation.candidate,
      parameters: candidate.parameters,
      team: 'weather',
    };
    // A run a trigger rule started on drift: the version's lineage keeps that event and its time.
    const driftEvent = {
      id: 'drift-weather-1',
      type: 'drift.detected',
      source: 'flywheel/monitoring',
      subject: 'weather',
      time: timestampFromMs(Date.parse('2026-12-02T17:00:00.500Z')),
    };
    const trigger = { source: RunSource.TRIGGER, triggerRuleName: 'retrain-on-drift', event: driftEvent };
    registered = await harness.run('register', parameters, { runId, trigger });
    expect(registered).toMatchObject({ model_version: 1, created: true });
    const retried = await harness.run('register', parameters, { runId, attempt: 2, trigger });
    expect(retried).toMatchObject({ model_version: 1, created: false });

    const promoted = await harness.run(
      'promote',
      {
        model_name: 'weather',
        model_version: registered.model_version,
        alias: 'champion',
        metric: 'roc_auc',
        candidate_metrics: evaluation.candidate,
        champion_metrics: evaluation.champion,
        champion_version: evaluation.champion_version,
      },
      { runId },
    );
    expect(promoted).toMatchObject({ promoted: true, model_version: 1, previous_champion: null });

    const registeredEvents = harness.bus
      .retained('model.version-registered')
      .map((message) => decodeEvent(ModelVersionRegisteredSchema, fromWireMessage(message)));
    expect(registeredEvents).toHaveLength(1);
    expect(registeredEvents[0]?.lineage).toMatchObject({
      trainingSetRef: trainingSet.training_set_id,
      pipelineRunId: runId,
      codeVersion: 'git:0123abc',
      triggerEvent: driftEvent,
    });
    await waitFor(() => harness.bus.retained('model.alias-changed').length === 1, {
      what: 'model.alias-changed',
    });
    const [aliasChanged] = harness.bus
      .retained('model.alias-changed')
      .map((message) => decodeEvent(ModelAliasChangedSchema, fromWireMessage(message)));
    expect(aliasChanged).toMatchObject({
      modelName: 'weather',
      alias: 'champion',
      modelVersion: 1n,
      previousVersion: 0n,
    });
  });

  it('keeps v1 when a nearly constant candidate (l2 = 1000) loses, announcing it once despite a retried promote', async () => {
    const run = 'run-seattle-l2-1000';
    const weak = await harness.run(
      'train',
      { training_set_uri: trainingSet.uri, label, features: modelInputs, l2: 1000 },
      { runId: run },
    );
    const weakEvaluation = await harness.run(
      'evaluate',
      {
        training_set_uri: trainingSet.uri,
        label,
        artifact_sha256: weak.artifact_sha256,
        model_name: 'weather',
      },
      { runId: run },
    );
    expect(weakEvaluation.champion_version).toBe(1);
    // Same holdout, same champion: its metrics match what v1 scored when it was the candidate.
    expect(weakEvaluation.champion).toEqual(evaluation.candidate);
    const weakVersion = await harness.run(
      'register',
      {
        model_name: 'weather',
        artifact_sha256: weak.artifact_sha256,
        training_set_id: trainingSet.training_set_id,
        metrics: weakEvaluation.candidate,
      },
      { runId: run },
    );
    expect(weakVersion.model_version).toBe(2);
    const parameters = {
      model_name: 'weather',
      model_version: weakVersion.model_version,
      alias: 'champion',
      metric: 'roc_auc',
      margin: 0,
      candidate_metrics: weakEvaluation.candidate,
      champion_metrics: weakEvaluation.champion,
      champion_version: weakEvaluation.champion_version,
    };
    const first = await harness.run('promote', parameters, { runId: run, attempt: 1 });
    const retried = await harness.run('promote', parameters, { runId: run, attempt: 2 });
    expect(first).toMatchObject({ promoted: false, model_version: 2, previous_champion: 1 });
    expect(retried).toEqual(first);

    await waitFor(async () => (await harness.infra.store.pendingOutbox()).length === 0, {
      what: 'the outbox to drain',
    });
    const rejections = harness.rejections();
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      modelName: 'weather',
      candidateVersion: 2n,
      championVersion: 1n,
      alias: 'champion',
      pipelineRunId: run,
      team: 'weather',
      gates: [{ metric: 'roc_auc', comparison: '>', passed: false }],
    });
    const { version } = await harness.registry.resolveModelUri({ uri: 'models:/weather@champion' });
    expect(version?.version).toBe(1n);
  });
});
