import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { createFsBlobs } from '@flywheel/blobs';
import { silentLogger } from '@flywheel/core';
import { ancestorsOf, validatePipelineSpec } from '@flywheel/pipelines';
import { type PipelineSpec, PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient, validateMessage } from '@flywheel/rpc';
import { createEmbeddedStore } from '@flywheel/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinSteps } from '../src/builtin-steps/index.ts';
import type { BuiltinSteps } from '../src/builtin-steps/step-types.ts';

// The shipped example pipelines are protobuf JSON of flywheel.common.v1.PipelineSpec: they must
// parse strictly, pass the field rules and the orchestrator's definition checks (DAG, known
// built-ins, templates that only reference upstream steps).
function loadExample(name: string): PipelineSpec {
  const json = JSON.parse(
    readFileSync(new URL(`../../../examples/pipelines/${name}.json`, import.meta.url), 'utf8'),
  ) as JsonValue;
  const spec = fromJson(PipelineSpecSchema, json);
  validateMessage(PipelineSpecSchema, spec);
  return spec;
}

let builtins: BuiltinSteps;
let close: () => Promise<void>;

beforeAll(async () => {
  // Real adapters; the clients' peers are never called: validating a definition runs no step.
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-example-pipelines-'));
  const store = await createEmbeddedStore({ dir: join(dir, 'store') });
  const blobs = createFsBlobs({ dir: join(dir, 'blobs') });
  const registry = createRpcClient(RegistryService, { address: '127.0.0.1:1' });
  const featureStore = createRpcClient(FeatureStoreService, { address: '127.0.0.1:1' });
  builtins = createBuiltinSteps({ blobs, store, registry, featureStore, log: silentLogger });
  close = async () => {
    registry.close();
    featureStore.close();
    await store.close();
    await blobs.close();
  };
});

afterAll(async () => {
  await close?.();
});

function builtinOf(spec: PipelineSpec, step: string): string | undefined {
  const found = spec.steps.find((s) => s.name === step);
  return found?.kind.case === 'builtin' ? found.kind.value.name : undefined;
}

describe('examples/pipelines', () => {
  it('retrain-weather is training-set → train → evaluate → register → promote', () => {
    const spec = loadExample('retrain-weather');
    validatePipelineSpec(spec, 'spec', { builtins: Object.keys(builtins) });
    expect(spec.steps.map((step) => [step.name, builtinOf(spec, step.name)])).toEqual([
      ['training-set', 'training-set'],
      ['train', 'train'],
      ['evaluate', 'evaluate'],
      ['register', 'register'],
      ['promote', 'promote'],
    ]);
    const ancestors = ancestorsOf(spec.steps);
    expect([...(ancestors.get('promote') ?? [])].sort()).toEqual([
      'evaluate',
      'register',
      'train',
      'training-set',
    ]);
    expect(spec.parameters.map((parameter) => parameter.name)).toEqual([
      'team',
      'model_name',
      'warm_start_from',
      'start_time',
      'end_time',
      'l2',
      'holdout_fraction',
      'metric',
      'margin',
    ]);
  });

  it('weekly-ab trains A (built-in) and B (scikit-learn command) in parallel, compares them on one holdout, registers and promotes the better', () => {
    const spec = loadExample('weekly-ab');
    validatePipelineSpec(spec, 'spec', { builtins: Object.keys(builtins) });
    const ancestors = ancestorsOf(spec.steps);
    const step = (name: string) => spec.steps.find((s) => s.name === name);
    expect(builtinOf(spec, 'train-a')).toBe('train');
    const trainB = step('train-b')?.kind;
    expect(trainB?.case === 'command' ? trainB.value.command : []).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline template, not a JavaScript one
      '${params.python}',
      'examples/steps/train_sklearn.py',
    ]);
    // Parallel: neither trainer is upstream of the other; both start from the one training set.
    expect(ancestors.get('train-b')?.has('train-a')).toBe(false);
    expect(ancestors.get('train-a')?.has('train-b')).toBe(false);
    expect(ancestors.get('train-a')).toEqual(new Set(['training-set']));
    expect(ancestors.get('train-b')).toEqual(new Set(['training-set', 'training-set-file']));
    for (const name of ['evaluate-a', 'evaluate-b']) {
      expect(builtinOf(spec, name)).toBe('evaluate');
      expect(step(name)?.parameters?.training_set_uri).toBe(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a pipeline template, not a JavaScript one
        '${steps.training-set.outputs.uri}',
      );
    }
    expect([...(ancestors.get('select-best') ?? [])]).toEqual(
      expect.arrayContaining(['evaluate-a', 'evaluate-b', 'train-a', 'train-b']),
    );
    expect(builtinOf(spec, 'register')).toBe('register');
    expect(ancestors.get('promote')?.has('register')).toBe(true);
    expect(builtinOf(spec, 'promote')).toBe('promote');
    const required = spec.parameters
      .filter((parameter) => parameter.required)
      .map((parameter) => parameter.name);
    expect(required).toEqual(['start_time', 'end_time']);
  });
});
