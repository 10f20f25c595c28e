import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { blobUri } from '@flywheel/blobs';
import { silentLogger } from '@flywheel/core';
import { weatherCsvPath, weatherDataset } from '@flywheel/example-weather';
import { createBatchPredictStep } from '@flywheel/orchestrator';
import { uniqueName } from '@flywheel/testing';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  expectedProbability,
  features,
  rejection,
  type Stack,
  startStack,
  v1Model,
} from './serving-harness.ts';

/** The orchestrator's `batch-predict` step on serving's OIP client, called as the run engine does. */
function batchPredict(stack: Stack, parameters: Record<string, unknown>) {
  const step = createBatchPredictStep({ blobs: stack.blobs, inference: stack.inference });
  return step({
    runId: 'run-1',
    pipelineName: 'nightly-scoring',
    stepName: 'score',
    attempt: 1,
    parameters,
    outputs: {},
    signal: AbortSignal.timeout(60_000),
    log: silentLogger,
  } as never);
}

async function deployV1(stack: Stack): Promise<void> {
  const model = uniqueName('weather');
  await stack.register(model, v1Model);
  await stack.setAlias(model, 'champion', 1n);
  await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
}

describe('batch prediction', () => {
  it('scores the weather CSV from the blob store through a deployment and writes the scored rows back', async () => {
    const stack = await startStack();
    await deployV1(stack);
    const csv = await readFile(weatherCsvPath());
    const dataset = await stack.blobs.put(csv);
    const outputs = await batchPredict(stack, {
      dataset_uri: blobUri(dataset.sha256),
      deployment: 'weather',
      batch_size: 500,
    });
    const bytes = await stack.blobs.getBytes(outputs.sha256 as string);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(outputs.sha256);
    expect(outputs).toMatchObject({
      uri: blobUri(outputs.sha256 as string),
      format: 'jsonl',
      model_versions: { '1': 2922 },
    });
    const lines = new TextDecoder()
      .decode(bytes)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2922);
    expect(outputs.rows).toBe(2922);
    for (const line of [lines[0], lines[1000], lines[2921]]) {
      const row = features.map((f) => Number(line[f]));
      expect(line.probability).toBeCloseTo(expectedProbability(v1Model, row), 5);
      expect(line.label).toBe(line.probability >= 0.5 ? 1 : 0);
      expect(line).toMatchObject({
        model_version: '1',
        location: expect.any(String),
        date: expect.any(String),
      });
    }
  });

  it('reads Parquet and writes CSV', async () => {
    const stack = await startStack();
    await deployV1(stack);
    const days = (await weatherDataset()).slice(0, 100);
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'station', data: days.map((d) => d.station), type: 'STRING' },
        ...features.map((f) => ({ name: f, data: days.map((d) => d[f]), type: 'DOUBLE' as const })),
      ],
    });
    const dataset = await stack.blobs.put(new Uint8Array(parquet));
    const outputs = await batchPredict(stack, {
      dataset_uri: blobUri(dataset.sha256),
      deployment: 'weather',
      output_format: 'csv',
    });
    const text = new TextDecoder().decode(await stack.blobs.getBytes(outputs.sha256 as string));
    const [header, ...rows] = text.trim().split('\n');
    expect(header).toBe('station,temp_max,temp_min,wind,probability,label,model_version');
    expect(rows).toHaveLength(100);
    const first = rows[0]!.split(',');
    expect(Number(first[4])).toBeCloseTo(
      expectedProbability(
        v1Model,
        features.map((f) => days[0]![f]),
      ),
      5,
    );
  });

  it('refuses a data set lacking a column the model needs, naming it', async () => {
    const stack = await startStack();
    await deployV1(stack);
    const dataset = await stack.blobs.put(new TextEncoder().encode('temp_max,wind\n1,2\n'));
    const error = await rejection(
      batchPredict(stack, { dataset_uri: blobUri(dataset.sha256), deployment: 'weather' }),
      'invalid_argument',
    );
    expect(error.message).toContain('"temp_min"');
    await rejection(
      batchPredict(stack, { dataset_uri: blobUri(dataset.sha256), deployment: 'nope' }),
      'not_found',
    );
  });
});
