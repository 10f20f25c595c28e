// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogStream, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { repoRoot } from '@flywheel/testing';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nodeStep,
  startOrchestrator,
  stepOf,
  submit,
  type TestOrchestrator,
  waitForFinal,
} from './orchestrator-harness.ts';

// The interpreter of the test venv (test/python/requirements.txt: scikit-learn, skl2onnx, onnx).
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
const script = join(repoRoot, 'examples/steps/train_sklearn.py');

// A command step that writes a JSON Lines training set shaped like the feature store's (keys
// `<view>:<feature>`, a label that depends on the features) and outputs its path.
const makeTrainingSet = `
const fs = require('node:fs');
const path = require('node:path');
let seed = 7;
const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
const rows = [];
for (let i = 0; i < 400; i++) {
  const temp = 15 + 6 * gauss();
  const wind = 4 + gauss();
  const p = 1 / (1 + Math.exp(-(0.5 * (12 - temp) + 1.2 * (wind - 4))));
  const day = new Date(Date.UTC(2012, 0, 1) + i * 86400000).toISOString();
  rows.push({ station: 'seattle', event_time: day, 'weather_labels:rained': random() < p ? 1 : 0,
    'weather_daily:temp_max': temp, 'weather_daily:wind': wind });
}
const file = path.join(process.env.FLYWHEEL_ARTIFACTS_DIR, 'training-set.jsonl');
fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\\n') + '\\n');
fs.writeFileSync(process.env.FLYWHEEL_OUTPUTS_FILE, JSON.stringify({ path: file, rows: rows.length }));
`;

describe('a Python command step with scikit-learn and skl2onnx', () => {
  let orchestrator: TestOrchestrator;
  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });
  afterAll(async () => {
    await orchestrator.stop();
  });

  it('trains through the file contract and writes an ONNX model onnxruntime can run', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        nodeStep('training-set', makeTrainingSet),
        {
          name: 'train',
          dependsOn: ['training-set'],
          kind: { case: 'command', value: { command: [python, script] } },
          parameters: {
            training_set_path: '${steps.training-set.outputs.path}',
            label: 'weather_labels:rained',
            C: 1.0,
          },
        },
      ],
      outputs: {
        model_path: '${steps.train.outputs.model_path}',
        accuracy: '${steps.train.outputs.metrics.accuracy}',
      },
    });
    const done = await waitForFinal(orchestrator.client, run.id, 120_000);
    const train = stepOf(done, 'train');
    expect(train.failure?.message ?? '').toBe('');
    expect(done.state).toBe(RunState.SUCCEEDED);

    const outputs = train.outputs as {
      model_path: string;
      model_sha256: string;
      features: string[];
      metrics: { accuracy: number; log_loss: number; train_rows: number; holdout_rows: number };
    };
    expect(outputs.features).toEqual(['temp_max', 'wind']);
    expect(outputs.metrics).toMatchObject({ train_rows: 320, holdout_rows: 80 });
    expect(outputs.metrics.accuracy).toBeGreaterThan(0.6);
    expect(done.outputs).toEqual({ model_path: outputs.model_path, accuracy: outputs.metrics.accuracy });

    const bytes = readFileSync(outputs.model_path);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(outputs.model_sha256);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['temp_max', 'wind']);
    expect(session.outputNames).toEqual(['probability']);
    const column = (values: number[]) =>
      new ort.Tensor('float32', Float32Array.from(values), [values.length, 1]);
    const result = await session.run({ temp_max: column([5, 25]), wind: column([6, 2]) });
    const probability = result.probability;
    expect(probability?.dims).toEqual([2, 1]);
    const [coldWindy, warmCalm] = Array.from(probability?.data as Float32Array);
    expect(coldWindy).toBeGreaterThan(0.5);
    expect(warmCalm).toBeLessThan(0.5);
    await session.release();

    const logs: string[] = [];
    for await (const message of orchestrator.client.streamJobLogs({ runId: run.id, stepName: 'train' })) {
      logs.push(...message.lines.filter((l) => l.stream === LogStream.STDOUT).map((l) => l.text));
    }
    expect(logs.some((line) => line.startsWith('training on 320 rows, 2 features: temp_max, wind'))).toBe(
      true,
    );
  });

  it('fails the step with the script error when a parameter is missing', async () => {
    const run = await submit(orchestrator.client, {
      steps: [
        {
          name: 'train',
          kind: { case: 'command', value: { command: [python, script] } },
          parameters: { label: 'y' },
        },
      ],
    });
    const done = await waitForFinal(orchestrator.client, run.id, 120_000);
    expect(done.state).toBe(RunState.FAILED);
    expect(done.failure).toMatchObject({ stepName: 'train', exitCode: 2 });
    expect(done.failure?.message).toContain('parameters.training_set_path is required');
  });
});
