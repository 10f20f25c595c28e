// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline and rule templates are ${…} in plain strings
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrainSpec, type SchedulerHarness, startScheduler } from './scheduler-harness.ts';

type SpecInit = MessageInitShape<typeof PipelineSpecSchema>;
const builtin = (name: string) => ({ case: 'builtin' as const, value: { name } });

describe('pipeline definitions that are not a valid DAG are rejected, naming the field', () => {
  let h: SchedulerHarness;
  beforeAll(async () => {
    h = await startScheduler();
  });
  afterAll(async () => {
    await h.stop();
  });

  const create = (name: string, spec: SpecInit) => h.client.createPipeline({ pipeline: { name, spec } });

  it('rejects duplicate step names', async () => {
    const spec: SpecInit = {
      steps: [
        { name: 'train', kind: builtin('train') },
        { name: 'train', kind: builtin('evaluate') },
      ],
    };
    await expect(create('dup', spec)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[1].name',
      message: expect.stringContaining('duplicate step name "train"'),
    });
  });

  it('rejects a depends_on naming no step', async () => {
    const spec: SpecInit = {
      steps: [
        { name: 'train', kind: builtin('train') },
        { name: 'evaluate', kind: builtin('evaluate'), dependsOn: ['train', 'trian'] },
      ],
    };
    await expect(create('unknown-dep', spec)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[1].depends_on[1]',
      message: expect.stringContaining('unknown step "trian"'),
    });
  });

  it('rejects a cycle, spelling it out', async () => {
    const spec: SpecInit = {
      steps: [
        { name: 'a', kind: builtin('train'), dependsOn: ['c'] },
        { name: 'b', kind: builtin('train'), dependsOn: ['a'] },
        { name: 'c', kind: builtin('train'), dependsOn: ['b'] },
      ],
    };
    await expect(create('cycle', spec)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: expect.stringMatching(/^pipeline\.spec\.steps\[\d\]\.depends_on$/),
      message: expect.stringMatching(/cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/),
    });
  });

  it('rejects a step that depends on itself', async () => {
    const spec: SpecInit = { steps: [{ name: 'loop', kind: builtin('train'), dependsOn: ['loop'] }] };
    await expect(create('self', spec)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[0].depends_on',
      message: expect.stringContaining('loop → loop'),
    });
  });

  it('rejects a step that says nothing about what it runs', async () => {
    await expect(create('no-kind', { steps: [{ name: 'train' }] })).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[0].kind',
    });
  });

  it('rejects a template reading a step that is not upstream, or an undeclared parameter', async () => {
    const notUpstream: SpecInit = {
      steps: [
        {
          name: 'train',
          kind: builtin('train'),
          parameters: { holdout: '${steps.evaluate.outputs.holdout}' },
        },
        { name: 'evaluate', kind: builtin('evaluate'), dependsOn: ['train'] },
      ],
    };
    await expect(create('not-upstream', notUpstream)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[0].parameters.holdout',
      message: expect.stringContaining('"evaluate" is not a step this one depends on'),
    });
    const undeclared: SpecInit = {
      steps: [
        {
          name: 'train',
          kind: { case: 'command', value: { command: ['python', 'train.py', '--model=${params.model}'] } },
        },
      ],
    };
    await expect(create('undeclared', undeclared)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.steps[0].command.command[2]',
      message: expect.stringContaining('no parameter "model"'),
    });
  });

  it('rejects duplicate parameter names', async () => {
    const spec: SpecInit = {
      parameters: [{ name: 'model' }, { name: 'model' }],
      steps: [{ name: 'train', kind: builtin('train') }],
    };
    await expect(create('dup-param', spec)).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.spec.parameters[1].name',
    });
  });

  it('checks the field rules of the .proto before anything else', async () => {
    await expect(
      h.client.createPipeline({ pipeline: { name: 'Bad_Name', spec: retrainSpec() } }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'pipeline.name',
    });
    await expect(h.client.createPipeline({ pipeline: { name: 'no-steps', spec: {} } })).rejects.toMatchObject(
      {
        code: 'invalid_argument',
        field: 'pipeline.spec.steps',
      },
    );
  });

  it('validates the definition of an update the same way, under spec', async () => {
    await h.client.createPipeline({ pipeline: { name: 'valid', spec: retrainSpec() } });
    await expect(
      h.client.updatePipeline({
        pipelineName: 'valid',
        spec: { steps: [{ name: 'evaluate', kind: builtin('evaluate'), dependsOn: ['train'] }] },
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', field: 'spec.steps[0].depends_on[0]' });
    const { pipeline } = await h.client.getPipeline({ pipelineName: 'valid' });
    expect(pipeline?.revision).toBe(1n);
  });

  it('accepts the retrain DAG', async () => {
    const { pipeline } = await h.client.createPipeline({
      pipeline: { name: 'retrain-weather', spec: retrainSpec() },
    });
    expect(pipeline?.revision).toBe(1n);
    expect(pipeline?.spec?.steps.map((s) => s.name)).toEqual([
      'training-set',
      'train',
      'evaluate',
      'register',
      'promote',
    ]);
  });
});
