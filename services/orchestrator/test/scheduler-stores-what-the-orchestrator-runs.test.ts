// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { readFileSync } from 'node:fs';
import { fromJson, type JsonObject, type JsonValue, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { type PipelineSpec, PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { SchedulerService } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { loadSchedulerConfig, wireScheduler } from '@flywheel/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinSteps } from '../src/index.ts';
import { builtinStep, nodeStep, startOrchestrator, type TestOrchestrator } from './orchestrator-harness.ts';

// One pipeline-spec language (@flywheel/pipelines): a spec the scheduler's CreatePipeline stores is a
// spec the orchestrator's SubmitRun runs, and what one rejects the other rejects, naming the same
// field. The one known difference is not in this table: the scheduler does not know which built-in
// steps the orchestrator has, so an unknown `builtin.name` is caught only by the orchestrator.

type SpecInit = MessageInitShape<typeof PipelineSpecSchema>;

function example(name: string): PipelineSpec {
  const json = readFileSync(new URL(`../../../examples/pipelines/${name}.json`, import.meta.url), 'utf8');
  return fromJson(PipelineSpecSchema, JSON.parse(json) as JsonValue);
}

const ok = (name: string, extra: Parameters<typeof builtinStep>[2] = {}) => builtinStep(name, 'ok', extra);

/** Accepted, or rejected naming this field under the spec. */
const cases: [string, SpecInit | PipelineSpec, 'accepted' | { field: string }][] = [
  ['the retrain-weather example', example('retrain-weather'), 'accepted'],
  ['the weekly-ab example', example('weekly-ab'), 'accepted'],
  [
    'a DAG with declared parameters, upstream outputs and run references',
    {
      parameters: [{ name: 'model', defaultValue: { kind: { case: 'stringValue', value: 'weather' } } }],
      steps: [
        ok('train', { parameters: { model: '${params.model}', run: '${run.id}' } }),
        ok('evaluate', { dependsOn: ['train'], parameters: { uri: '${steps.train.outputs.uri}' } }),
      ],
      outputs: { uri: '${steps.train.outputs.uri}' },
    },
    'accepted',
  ],
  [
    'a $${ escape in a command',
    {
      steps: [ok('first'), nodeStep('shell', '', { dependsOn: ['first'], parameters: { note: '$${HOME}' } })],
    },
    'accepted',
  ],
  ['no steps', { steps: [] }, { field: 'steps' }],
  ['a step name that is not lowercase', { steps: [ok('Train')] }, { field: 'steps[0].name' }],
  ['a duplicate step name', { steps: [ok('a'), ok('a')] }, { field: 'steps[1].name' }],
  ['a step without a kind', { steps: [{ name: 'a' }] }, { field: 'steps[0].kind' }],
  [
    'a command naming no program',
    { steps: [{ name: 'a', kind: { case: 'command', value: { command: [''] } } }] },
    { field: 'steps[0].command.command' },
  ],
  [
    'a command parameter named inputs',
    { steps: [nodeStep('a', '', { parameters: { inputs: 1 } })] },
    { field: 'steps[0].parameters.inputs' },
  ],
  [
    'an unknown dependency',
    { steps: [ok('a', { dependsOn: ['ghost'] })] },
    { field: 'steps[0].depends_on[0]' },
  ],
  [
    'a step depending on itself',
    { steps: [ok('loop', { dependsOn: ['loop'] })] },
    { field: 'steps[0].depends_on' },
  ],
  [
    'a cycle',
    { steps: [ok('a', { dependsOn: ['c'] }), ok('b', { dependsOn: ['a'] }), ok('c', { dependsOn: ['b'] })] },
    { field: 'steps[1].depends_on' },
  ],
  [
    'a duplicate parameter',
    { parameters: [{ name: 'm' }, { name: 'm' }], steps: [ok('a')] },
    { field: 'parameters[1].name' },
  ],
  [
    'a negative step timeout',
    { steps: [ok('a', { timeout: durationFromMs(-1) })] },
    { field: 'steps[0].timeout' },
  ],
  [
    'a reference to a step that is not upstream',
    { steps: [ok('a'), ok('b', { parameters: { x: '${steps.a.outputs.y}' } })] },
    { field: 'steps[1].parameters.x' },
  ],
  [
    'an undeclared parameter',
    { steps: [ok('a', { parameters: { model: '${params.model}' } })] },
    { field: 'steps[0].parameters.model' },
  ],
  [
    'an unescaped shell variable',
    {
      steps: [
        { name: 'a', kind: { case: 'command', value: { command: ['node'], env: { WHERE: '${HOME}' } } } },
      ],
    },
    { field: 'steps[0].command.env[WHERE]' },
  ],
  [
    'a malformed condition reference',
    { steps: [ok('a', { condition: '${param.x}' })] },
    { field: 'steps[0].condition' },
  ],
  [
    'an output reading a step the pipeline does not have',
    { steps: [ok('a')], outputs: { x: '${steps.b.outputs.x}' } },
    { field: 'outputs[x]' },
  ],
];

describe('the scheduler stores a spec exactly when the orchestrator runs it', () => {
  let scheduler: InProcessService;
  let schedulerClient: ReturnType<typeof createRpcClient<(typeof SchedulerService)['method']>>;
  let orchestrator: TestOrchestrator;
  // Stand-ins under the names the specs use: only acceptance is under test, not what the steps do.
  const builtins: BuiltinSteps = Object.fromEntries(
    [
      'ok',
      'training-set',
      'train',
      'evaluate',
      'register',
      'promote',
      'select-best',
      'blob-to-file',
      'file-to-blob',
      'batch-predict',
    ].map((name) => [name, async () => ({})]),
  );

  beforeAll(async () => {
    scheduler = await startInProcess('scheduler', { load: loadSchedulerConfig, wire: wireScheduler });
    schedulerClient = createRpcClient(SchedulerService, { address: scheduler.address });
    orchestrator = await startOrchestrator({ builtins });
  });
  afterAll(async () => {
    schedulerClient?.close();
    await orchestrator?.stop();
    await scheduler?.stop();
  });

  it.each(cases.map((c, i) => [...c, i] as const))('%s', async (_, spec, expected, i) => {
    const name = `agree-${i}`;
    const required: JsonObject = {};
    for (const parameter of spec.parameters ?? [])
      if (parameter.required && parameter.name) required[parameter.name] = 'given';
    const stored = await schedulerClient
      .createPipeline({ pipeline: { name, spec } })
      .catch((e: unknown) => e);
    const submitted = await orchestrator.client
      .submitRun({ pipeline: { case: 'inlinePipeline', value: { name, spec } }, parameters: required })
      .catch((e: unknown) => e);
    if (expected === 'accepted') {
      expect(stored).toMatchObject({ pipeline: { name } });
      expect(submitted).toMatchObject({ created: true });
    } else {
      expect(stored).toMatchObject({ code: 'invalid_argument', field: `pipeline.spec.${expected.field}` });
      expect(submitted).toMatchObject({
        code: 'invalid_argument',
        field: `inline_pipeline.spec.${expected.field}`,
      });
    }
  });
});
