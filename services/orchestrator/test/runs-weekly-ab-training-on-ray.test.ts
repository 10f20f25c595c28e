import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { weatherDataset } from '@flywheel/example-weather';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { realRayAddress, waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltinStepsHarness, startBuiltinStepsHarness } from './builtin-steps-harness.ts';

// examples/pipelines/weekly-ab-ray.json: its two training steps (scikit-learn, examples/steps/
// train_sklearn.py) run as Ray jobs on the real Ray of scripts/servers, the rest (training set,
// file bridges, evaluate, select, register, promote) locally in the orchestrator. Ray runs on this
// machine: FLYWHEEL_RAY_SHARED_FILESYSTEM lets its jobs read the training-set file and leave the
// ONNX model in their job directories, where the local file-to-blob steps pick them up.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
let harness: BuiltinStepsHarness;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({
    orchestrator: true,
    orchestratorEnv: { FLYWHEEL_RAY_ADDRESS: realRayAddress(), FLYWHEEL_RAY_SHARED_FILESYSTEM: 'true' },
  });
  await harness.ingestWeather((await weatherDataset()).filter((row) => row.station === 'seattle'));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('the weekly A/B pipeline with its training on Ray', () => {
  it('trains A and B as Ray jobs, the rest locally, then registers and promotes the better', {
    timeout: 300_000,
  }, async () => {
    const orchestrator = harness.orchestrator!;
    const json = JSON.parse(
      readFileSync(`${repoRoot}examples/pipelines/weekly-ab-ray.json`, 'utf8'),
    ) as JsonValue;
    const { run } = await orchestrator.submitRun({
      pipeline: {
        case: 'inlinePipeline',
        value: { name: 'weekly-ab-ray', spec: fromJson(PipelineSpecSchema, json) },
      },
      parameters: {
        model_name: 'weather-weekly-ray',
        start_time: '2014-01-01T00:00:00Z',
        end_time: '2015-01-01T00:00:00Z',
        python,
        repo_dir: repoRoot,
      },
    });
    const done = await waitFor(
      async () => {
        const current = (await orchestrator.getRun({ runId: run!.id })).run;
        return current && [RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED].includes(current.state)
          ? current
          : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 250, what: 'the weekly-ab-ray run to end' },
    );
    expect({ state: RunState[done.state], failure: done.failure?.message ?? '' }).toEqual({
      state: 'SUCCEEDED',
      failure: '',
    });
    expect(done.outputs).toMatchObject({
      model_version: 1,
      promoted: true,
      winner: expect.stringMatching(/^[ab]$/),
    });
    const executorOf = Object.fromEntries(done.steps.map((s) => [s.name, s.attempts.at(-1)?.executor]));
    expect(executorOf).toMatchObject({
      'train-a': 'ray',
      'train-b': 'ray',
      'training-set': 'local',
      register: 'local',
    });
    const { version } = await harness.registry.resolveModelUri({
      uri: 'models:/weather-weekly-ray@champion',
    });
    expect(version?.parameters.trainer).toBe('scikit-learn');
  });
});
