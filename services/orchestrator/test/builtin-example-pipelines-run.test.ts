import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromJson, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { weatherDataset } from '@flywheel/example-weather';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { type Run, RunState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { waitFor } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuiltinStepsHarness,
  type OrchestratorClient,
  startBuiltinStepsHarness,
} from './builtin-steps-harness.ts';

// The shipped example pipelines, submitted as they are to the REAL orchestrator, whose built-in
// steps call the REAL feature store and registry on Seattle's weather; model B of weekly-ab is
// scikit-learn in a Python process (examples/steps/train_sklearn.py).
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
let harness: BuiltinStepsHarness;
let orchestrator: OrchestratorClient;

beforeAll(async () => {
  harness = await startBuiltinStepsHarness({ orchestrator: true, codeVersion: 'git:example' });
  orchestrator = harness.orchestrator!;
  await harness.ingestWeather((await weatherDataset()).filter((row) => row.station === 'seattle'));
});

afterAll(async () => {
  await harness?.close();
});

async function runExample(name: string, parameters: JsonObject): Promise<Run> {
  const json = JSON.parse(readFileSync(`${repoRoot}examples/pipelines/${name}.json`, 'utf8')) as JsonValue;
  const { run } = await orchestrator.submitRun({
    pipeline: { case: 'inlinePipeline', value: { name, spec: fromJson(PipelineSpecSchema, json) } },
    parameters,
  });
  if (run === undefined) throw new Error('SubmitRun returned no run');
  return waitFor(
    async () => {
      const current = (await orchestrator.getRun({ runId: run.id })).run;
      return current !== undefined &&
        [RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED].includes(current.state)
        ? current
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, what: `${name} run ${run.id} to end` },
  );
}

function expectSucceeded(run: Run): void {
  expect({ state: RunState[run.state], failure: run.failure?.message ?? '' }).toEqual({
    state: RunState[RunState.SUCCEEDED],
    failure: '',
  });
}

describe('the shipped example pipelines on the orchestrator', () => {
  it('retrain-weather registers and promotes the first weather model', async () => {
    const run = await runExample('retrain-weather', {
      model_name: 'weather',
      team: 'weather',
      start_time: '2012-01-01T00:00:00Z',
      end_time: '2015-01-01T00:00:00Z',
    });
    expectSucceeded(run);
    expect(run.outputs).toMatchObject({ model_version: 1, promoted: true });
    const { version } = await harness.registry.resolveModelUri({ uri: 'models:/weather@champion' });
    expect(version?.lineage).toMatchObject({
      pipelineRunId: run.id,
      pipelineName: 'retrain-weather',
      codeVersion: 'git:example',
      trainingSetRef: run.outputs?.training_set_id,
    });
    expect(version?.metrics.roc_auc).toBeGreaterThan(0.8);
  });

  it('weekly-ab trains Flywheel LR and scikit-learn in parallel, then registers and promotes the better', async () => {
    const run = await runExample('weekly-ab', {
      model_name: 'weather-weekly',
      start_time: '2014-01-01T00:00:00Z',
      end_time: '2015-01-01T00:00:00Z',
      python,
      repo_dir: repoRoot,
    });
    expectSucceeded(run);
    expect(run.outputs).toMatchObject({
      model_version: 1,
      promoted: true,
      winner: expect.stringMatching(/^[ab]$/),
    });
    const winner = run.outputs?.winner as string;
    const { version } = await harness.registry.resolveModelUri({ uri: 'models:/weather-weekly@champion' });
    expect(version?.parameters.trainer).toBe(winner === 'a' ? 'logistic-regression' : 'scikit-learn');
    expect(version?.signature?.inputs.map((input) => input.name)).toEqual(['temp_max', 'temp_min', 'wind']);
  });
});
