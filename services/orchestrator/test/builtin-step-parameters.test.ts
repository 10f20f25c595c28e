import { blobUri } from '@flywheel/blobs';
import type { AppError } from '@flywheel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// What a pipeline author sees when a step's parameters or data are wrong: an AppError the engine
// does not retry, naming the parameter at fault.
let harness: BuiltinStepsHarness;
let trainingSetUri: string;

async function putJsonLines(rows: readonly Record<string, unknown>[]): Promise<string> {
  const text = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;
  return blobUri((await harness.blobs.put(new TextEncoder().encode(text))).sha256);
}

function day(i: number): string {
  return new Date(Date.UTC(2013, 0, 1 + i)).toISOString();
}

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ featureStore: false });
  trainingSetUri = await putJsonLines(
    Array.from({ length: 40 }, (_, i) => ({
      station: 'seattle',
      event_time: day(i),
      'weather_labels:rained': i % 3 === 0 ? 1 : 0,
      'weather_daily:wind': (i % 7) + 0.5,
      'weather_daily:temp_max': 10 + (i % 5),
      'gusts:wind': i % 2,
    })),
  );
});

afterAll(async () => {
  await harness?.close();
});

async function failure(step: string, parameters: Record<string, unknown>): Promise<AppError> {
  const error = await harness.run(step, parameters).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error === undefined) throw new Error(`${step} succeeded; expected it to fail`);
  return error as AppError;
}

describe('built-in step parameters', () => {
  it.each([
    [
      'a label column the training set lacks',
      { label: 'weather_labels:snowed', features: ['temp_max'] },
      'parameters.label',
      /no training-set column provides "weather_labels:snowed"/,
    ],
    [
      'a feature the training set lacks',
      { label: 'weather_labels:rained', features: ['temp_max', 'humidity'] },
      'parameters.features[1]',
      /"humidity"/,
    ],
    [
      'a feature two views provide',
      { label: 'weather_labels:rained', features: ['wind'] },
      'parameters.features[0]',
      /ambiguous: weather_daily:wind, gusts:wind/,
    ],
    [
      'a holdout fraction outside (0, 1)',
      { label: 'weather_labels:rained', features: ['temp_max'], holdout_fraction: 1.5 },
      'parameters.holdout_fraction',
      /must be in \(0, 1\)/,
    ],
    [
      'a negative l2',
      { label: 'weather_labels:rained', features: ['temp_max'], l2: -1 },
      'parameters.l2',
      /≥ 0/,
    ],
    [
      'no feature list',
      { label: 'weather_labels:rained', features: [] },
      'parameters.features',
      /non-empty list/,
    ],
  ])('train rejects %s', async (_, parameters, field, message) => {
    const error = await failure('train', { training_set_uri: trainingSetUri, ...parameters });
    expect(error).toMatchObject({ code: 'invalid_argument', field, retriable: false });
    expect(error.message).toMatch(message);
  });

  it('train reads a fully qualified column when a short name is ambiguous', async () => {
    const outputs = await harness.run('train', {
      training_set_uri: trainingSetUri,
      label: 'weather_labels:rained',
      features: ['weather_daily:wind', 'temp_max'],
    });
    expect(outputs.feature_names).toEqual(['weather_daily:wind', 'temp_max']);
  });

  it('train rejects a training set URI that is not a blob URI', async () => {
    const error = await failure('train', {
      training_set_uri: 's3://bucket/ts.jsonl',
      label: 'x',
      features: ['y'],
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.training_set_uri' });
  });

  it('train fails for good, naming the label, when the training rows hold one class', async () => {
    const uri = await putJsonLines(
      Array.from({ length: 10 }, (_, i) => ({ station: 's', event_time: day(i), 'l:y': 0, 'f:x': i })),
    );
    const error = await failure('train', { training_set_uri: uri, label: 'l:y', features: ['x'] });
    expect(error).toMatchObject({ code: 'failed_precondition', retriable: false });
    expect(error.message).toMatch(/all have l:y = 0; a classifier needs both classes/);
  });

  it('train rejects a label that is not binary, naming the row', async () => {
    const uri = await putJsonLines([
      { station: 's', event_time: day(0), 'l:y': 1, 'f:x': 1 },
      { station: 's', event_time: day(1), 'l:y': 2.5, 'f:x': 2 },
    ]);
    const error = await failure('train', { training_set_uri: uri, label: 'l:y', features: ['x'] });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.label' });
    expect(error.message).toMatch(/row 2 has l:y = 2.5/);
  });

  it('evaluate rejects an artifact that is not an ONNX model', async () => {
    const junk = await harness.blobs.put(new TextEncoder().encode('not a model'));
    const error = await failure('evaluate', {
      training_set_uri: trainingSetUri,
      label: 'weather_labels:rained',
      artifact_sha256: junk.sha256,
      model_name: 'weather',
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.artifact_sha256' });
  });

  it('evaluate rejects an artifact digest that is not a sha256', async () => {
    const error = await failure('evaluate', {
      training_set_uri: trainingSetUri,
      label: 'weather_labels:rained',
      artifact_sha256: 'abc',
      model_name: 'weather',
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.artifact_sha256' });
  });

  it.each([
    [{ end_time: '2012-01-01T00:00:00Z' }, 'parameters.end_time', /after start_time/],
    [{ start_time: 'yesterday' }, 'parameters.start_time', /RFC 3339/],
    [{ features: ['temp_max'] }, 'parameters.features[0]', /"<view>:<feature>"/],
    [{ label_view: '' }, 'parameters.label_view', /non-empty string/],
  ])('training-set rejects %o before calling the feature store', async (override, field, message) => {
    const error = await failure('training-set', {
      features: ['weather_daily:temp_max'],
      label_view: 'weather_labels',
      start_time: '2013-01-01T00:00:00Z',
      end_time: '2014-01-01T00:00:00Z',
      ...override,
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field });
    expect(error.message).toMatch(message);
  });

  it('promote rejects a metric the candidate was not measured on', async () => {
    const error = await failure('promote', {
      model_name: 'weather',
      model_version: 2,
      metric: 'f1',
      candidate_metrics: { roc_auc: 0.9 },
      champion_metrics: { roc_auc: 0.8 },
      champion_version: 1,
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.candidate_metrics' });
    expect(error.message).toMatch(/no finite "f1" \(metrics: roc_auc\)/);
  });

  it('promote rejects champion metrics without a champion version', async () => {
    const error = await failure('promote', {
      model_name: 'weather',
      model_version: 2,
      metric: 'roc_auc',
      candidate_metrics: { roc_auc: 0.9 },
      champion_metrics: { roc_auc: 0.8 },
      champion_version: null,
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.champion_version' });
  });

  it('promote rejects a version that is not a positive whole number', async () => {
    const error = await failure('promote', {
      model_name: 'weather',
      model_version: 'latest',
      metric: 'roc_auc',
      candidate_metrics: { roc_auc: 0.9 },
      champion_metrics: null,
      champion_version: null,
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.model_version' });
  });
});

describe('select-best', () => {
  const a = { name: 'a', artifact_sha256: 'a'.repeat(64), metrics: { roc_auc: 0.81, log_loss: 0.5 } };
  const b = {
    name: 'b',
    artifact_sha256: 'b'.repeat(64),
    metrics: { roc_auc: 0.86, log_loss: 0.55 },
    trainer: 'sklearn',
  };

  it('picks the highest score, passing the winner through', async () => {
    const outputs = await harness.run('select-best', { metric: 'roc_auc', candidates: [a, b] });
    expect(outputs).toEqual({ ...b, metric: 'roc_auc', value: 0.86, ranking: ['b', 'a'] });
  });

  it('picks the lowest loss', async () => {
    const outputs = await harness.run('select-best', { metric: 'log_loss', candidates: [a, b] });
    expect(outputs).toMatchObject({ name: 'a', value: 0.5, ranking: ['a', 'b'] });
  });

  it('gives a tie to the earlier candidate', async () => {
    const outputs = await harness.run('select-best', {
      metric: 'accuracy',
      candidates: [
        { ...a, metrics: { accuracy: 0.7 } },
        { ...b, metrics: { accuracy: 0.7 } },
      ],
    });
    expect(outputs.name).toBe('a');
  });

  it('names the candidate without the metric', async () => {
    const error = await failure('select-best', {
      metric: 'roc_auc',
      candidates: [a, { ...b, metrics: { log_loss: 0.4 } }],
    });
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'parameters.candidates[1].metrics' });
  });

  it('names a candidate without an artifact', async () => {
    const error = await failure('select-best', {
      metric: 'roc_auc',
      candidates: [{ name: 'a', metrics: a.metrics }],
    });
    expect(error).toMatchObject({
      code: 'invalid_argument',
      field: 'parameters.candidates[0].artifact_sha256',
    });
  });
});
