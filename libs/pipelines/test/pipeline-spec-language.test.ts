// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { create, type JsonObject, type JsonValue, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { describe, expect, it } from 'vitest';
import {
  ancestorsOf,
  checkReferences,
  expressionsIn,
  type PipelineScope,
  pipelineResolver,
  type ResolveReference,
  referencesIn,
  renderJson,
  renderObject,
  renderTemplate,
  resolveRunParameters,
  TemplateError,
  topologicalOrder,
  validatePipelineSpec,
} from '../src/index.ts';

type SpecInit = MessageInitShape<typeof PipelineSpecSchema>;
const spec = (init: SpecInit) => create(PipelineSpecSchema, init);
const builtin = (
  name: string,
  builtinName = name,
  extra: Partial<SpecInit['steps'] & object>[number] = {},
) => ({
  name,
  kind: { case: 'builtin' as const, value: { name: builtinName } },
  ...extra,
});
const command = (name: string, argv: string[], extra: Partial<SpecInit['steps'] & object>[number] = {}) => ({
  name,
  kind: { case: 'command' as const, value: { command: argv } },
  ...extra,
});
const stringDefault = (value: string) => ({ kind: { case: 'stringValue' as const, value } });

const scope: PipelineScope = {
  params: { model: 'weather', margin: 0.01, window: { days: 30 } },
  steps: { evaluate: { passed: true, auc: 0.91, metrics: [{ name: 'auc', value: 0.91 }] } },
  run: { id: 'run-1', pipeline_name: 'retrain-weather' },
};
const inPipeline = pipelineResolver(scope);

// A trigger rule's roots: the caller brings its own resolver, the grammar is the same.
const event: JsonObject = { model_name: 'churn', psi: 0.31, reason: null };
const inTrigger: ResolveReference = (reference) => {
  if (reference.startsWith('event.')) return event[reference.slice('event.'.length)];
  if (reference === 'run.id') return 'run-7';
  return undefined;
};

describe('the template grammar', () => {
  const renders: [string, string, ResolveReference, JsonValue][] = [
    ['a lone reference keeps its number type', '${params.margin}', inPipeline, 0.01],
    ['a lone reference keeps its object type', '${params.window}', inPipeline, { days: 30 }],
    ['a lone reference keeps null', '${event.reason}', inTrigger, null],
    [
      'references are spliced into text',
      'models:/${params.model}@champion',
      inPipeline,
      'models:/weather@champion',
    ],
    [
      'non-strings are spliced as JSON',
      '${run.pipeline_name}/${run.id}: ${params.window}',
      inPipeline,
      'retrain-weather/run-1: {"days":30}',
    ],
    ['a path indexes arrays', '${steps.evaluate.outputs.metrics.0.value}', inPipeline, 0.91],
    ['spaces inside the braces are trimmed', '${ params.model }', inPipeline, 'weather'],
    ['$${ is a literal ${', 'literal $${params.model}', inPipeline, 'literal ${params.model}'],
    ['$${ is a literal ${ whatever follows', 'echo $${HOME}', inPipeline, 'echo ${HOME}'],
    ['an escaped whole string stays a string', '$${params.margin}', inPipeline, '${params.margin}'],
    ['other roots through the caller resolver', '${event.model_name}/${run.id}', inTrigger, 'churn/run-7'],
    ['a string without references is itself', 'plain $ {text}', inTrigger, 'plain $ {text}'],
  ];
  it.each(renders)('%s', (_, text, resolve, expected) => {
    expect(renderTemplate(text, resolve)).toEqual(expected);
  });

  it('renders every string of a JSON value, leaving keys and other values alone', () => {
    expect(
      renderJson({ list: ['${params.model}', 3], nested: { x: '${params.margin}' } }, inPipeline),
    ).toEqual({ list: ['weather', 3], nested: { x: 0.01 } });
  });

  const refusals: [string, string, ResolveReference, RegExp][] = [
    ['an unset parameter', '${params.missing}', inPipeline, /"missing" is not set/],
    ['a step with no outputs', '${steps.train.outputs.model}', inPipeline, /has no outputs/],
    ['a root the pipeline does not have', '${event.model_name}', inPipeline, /unknown root/],
    ['a reference the caller cannot resolve', '${schedule.tick_time}', inTrigger, /cannot be resolved/],
  ];
  it.each(refusals)('refuses %s with a TemplateError', (_, text, resolve, problem) => {
    expect(() => renderTemplate(text, resolve)).toThrow(TemplateError);
    expect(() => renderTemplate(text, resolve)).toThrow(problem);
  });

  it('names the field of the string that failed when given one, as invalid_argument', () => {
    expect(() => renderObject({ model: { name: 'x-${event.nope}' } }, inTrigger, 'parameters')).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        field: 'parameters.model.name',
        message: 'parameters.model.name: ${event.nope}: cannot be resolved',
      }),
    );
    expect(() => renderJson(['${params.x.y}'], inPipeline, 'args')).toThrow(
      expect.objectContaining({ field: 'args[0]', message: expect.stringContaining('"x" is not set') }),
    );
  });

  const found: [string, string[]][] = [
    ['a ${params.a} and ${ steps.b.outputs.c }', ['params.a', 'steps.b.outputs.c']],
    ['$${HOME} is no reference but ${run.id} is', ['run.id']],
    ['none here', []],
  ];
  it.each(found)('finds the references in %j', (text, references) => {
    expect(referencesIn(text)).toEqual(references);
  });

  const rootChecks: [string, JsonValue, string | undefined][] = [
    ['known roots pass', { model: '${event.model_name}', id: '${run.id}' }, undefined],
    ['an escape is not checked', { shell: '$${HOME}' }, undefined],
    ['an unknown root names its field', { nested: ['${params.model}'] }, 'trigger_rule.parameters.nested[0]'],
  ];
  it.each(rootChecks)('checkReferences: %s', (_, value, field) => {
    const check = () => checkReferences(value, 'trigger_rule.parameters', ['event', 'run']);
    if (field === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(expect.objectContaining({ code: 'invalid_argument', field }));
  });
});

describe('date arithmetic in templates', () => {
  const tick: ResolveReference = (reference) => {
    if (reference === 'schedule.tick_time') return '2024-05-20T03:00:00.000Z';
    if (reference === 'event.offset') return '2024-05-20T05:00:00+02:00';
    if (reference === 'run.id') return 'run-7';
    return undefined;
  };
  const shifts: [string, string, JsonValue][] = [
    ['days, short form', '${schedule.tick_time - 7d}', '2024-05-13T03:00:00.000Z'],
    ['ISO 8601 days', '${schedule.tick_time - P7D}', '2024-05-13T03:00:00.000Z'],
    ['ISO 8601 weeks', '${schedule.tick_time - P1W}', '2024-05-13T03:00:00.000Z'],
    ['ISO 8601 with a time part', '${schedule.tick_time + P1DT2H30M}', '2024-05-21T05:30:00.000Z'],
    ['fractional ISO seconds', '${schedule.tick_time + PT1.5S}', '2024-05-20T03:00:01.500Z'],
    ['units combined and terms chained', '${ schedule.tick_time - 1d12h + 30m }', '2024-05-18T15:30:00.000Z'],
    ['an offset time comes back in UTC', '${event.offset - 1h}', '2024-05-20T02:00:00.000Z'],
    [
      'spliced into text',
      'from ${schedule.tick_time - 2w} to ${schedule.tick_time}',
      'from 2024-05-06T03:00:00.000Z to 2024-05-20T03:00:00.000Z',
    ],
  ];
  it.each(shifts)('shifts a time: %s', (_, text, expected) => {
    expect(renderTemplate(text, tick)).toEqual(expected);
  });

  it('leaves hyphens inside a reference alone (step names hold them)', () => {
    expect(referencesIn('${steps.training-set.outputs.uri}')).toEqual(['steps.training-set.outputs.uri']);
    expect(expressionsIn('${schedule.tick_time - 7d}')).toEqual([
      { reference: 'schedule.tick_time', shiftMs: -7 * 86_400_000 },
    ]);
  });

  const malformed: [string, string, RegExp][] = [
    ['an unknown unit', '${schedule.tick_time - 7x}', /"7x" is not a duration/],
    ['months', '${schedule.tick_time - P1M}', /years or months, which have no fixed length/],
    ['years', '${schedule.tick_time - P1Y}', /years or months/],
    ['an operator without a duration', '${schedule.tick_time -}', /is malformed/],
    ['a bare P', '${schedule.tick_time - P}', /"P" is not a duration/],
    ['two references', '${schedule.tick_time run.id}', /is malformed/],
  ];
  it.each(malformed)('refuses %s naming the field', (_, text, problem) => {
    for (const check of [
      () => renderObject({ start_time: text }, tick, 'schedule.parameters'),
      () => checkReferences({ start_time: text }, 'schedule.parameters', ['schedule', 'run']),
    ]) {
      expect(check).toThrow(
        expect.objectContaining({ code: 'invalid_argument', field: 'schedule.parameters.start_time' }),
      );
      expect(check).toThrow(problem);
    }
  });

  it('refuses shifting a value that is not a time, when rendering', () => {
    expect(() => renderTemplate('${run.id - 1d}', tick, 'parameters.x')).toThrow(
      expect.objectContaining({
        field: 'parameters.x',
        message: expect.stringContaining('"run-7" by a duration: it is not an RFC 3339 time'),
      }),
    );
  });

  it('tells checkReferences callers which references are shifted', () => {
    const seen: [string, boolean][] = [];
    checkReferences(
      { a: '${schedule.tick_time - 7d}', b: '${run.id}' },
      'p',
      ['schedule', 'run'],
      (r, _f, s) => seen.push([r, s]),
    );
    expect(seen).toEqual([
      ['schedule.tick_time', true],
      ['run.id', false],
    ]);
  });

  it('validates shifted references in pipeline specs like bare ones', () => {
    const shifted = (text: string) =>
      spec({
        parameters: [{ name: 'end_time', required: true }],
        steps: [builtin('a', 'a', { parameters: { start: text } })],
      });
    expect(() => validatePipelineSpec(shifted('${params.end_time - P7D}'), 'spec')).not.toThrow();
    expect(() => validatePipelineSpec(shifted('${params.end_time - 7 days}'), 'spec')).toThrow(
      expect.objectContaining({ field: 'spec.steps[0].parameters.start' }),
    );
  });
});

describe('run parameters', () => {
  const declared = spec({
    parameters: [
      { name: 'model', required: true },
      { name: 'reason', defaultValue: stringDefault('manual') },
      { name: 'required_with_default', required: true, defaultValue: stringDefault('d') },
      { name: 'optional' },
    ],
    steps: [builtin('a')],
  });
  const cases: [string, JsonObject | undefined, JsonObject | { field: string; fragment: string }][] = [
    [
      'defaults fill what is not given',
      { model: 'weather' },
      { model: 'weather', reason: 'manual', required_with_default: 'd' },
    ],
    [
      'given values win over defaults',
      { model: 'weather', reason: 'drift', optional: 3 },
      { model: 'weather', reason: 'drift', required_with_default: 'd', optional: 3 },
    ],
    [
      'an explicit null means not given: the default applies',
      { model: 'weather', reason: null, required_with_default: null },
      { model: 'weather', reason: 'manual', required_with_default: 'd' },
    ],
    [
      'an explicit null for an optional one without default leaves it out',
      { model: 'w', optional: null },
      {
        model: 'w',
        reason: 'manual',
        required_with_default: 'd',
      },
    ],
    [
      'an explicit null for a required one without default is missing',
      { model: null },
      { field: 'parameters.model', fragment: 'is required by the pipeline and has no default' },
    ],
    ['a missing required one is rejected', {}, { field: 'parameters.model', fragment: 'required' }],
    [
      'no parameters at all is like none given',
      undefined,
      { field: 'parameters.model', fragment: 'required' },
    ],
    [
      'an undeclared name is rejected',
      { model: 'w', surprise: 1 },
      { field: 'parameters.surprise', fragment: 'declares no parameter "surprise"' },
    ],
    [
      'an undeclared name is rejected even when null',
      { model: 'w', surprise: null },
      { field: 'parameters.surprise', fragment: 'declares no parameter' },
    ],
  ];
  it.each(cases)('%s', (_, given, expected) => {
    const resolve = () => resolveRunParameters(declared, given, 'parameters');
    if ('field' in expected && typeof expected.fragment === 'string') {
      expect(resolve).toThrow(
        expect.objectContaining({
          code: 'invalid_argument',
          field: expected.field,
          message: expect.stringContaining(expected.fragment),
        }),
      );
    } else {
      expect(resolve()).toEqual(expected);
    }
  });
});

describe('spec validation', () => {
  const builtins = ['train', 'evaluate'];
  const valid: [string, SpecInit][] = [
    [
      'a DAG whose templates read declared parameters and upstream steps',
      {
        parameters: [{ name: 'model' }, { name: 'config' }],
        steps: [
          builtin('train', 'train', { parameters: { model: '${params.model}', l2: '${params.config.l2}' } }),
          builtin('evaluate', 'evaluate', {
            dependsOn: ['train'],
            parameters: { uri: '${steps.train.outputs.uri}', run: '${run.id}/${run.pipeline_name}' },
            condition: '${steps.train.outputs.ok} == true',
          }),
        ],
        outputs: { auc: '${steps.evaluate.outputs.auc}' },
      },
    ],
    [
      'escapes in a command',
      { steps: [command('shell', ['sh', '-c', 'echo $${HOME}'], { parameters: { note: '$${not.a.ref}' } })] },
    ],
  ];
  it.each(valid)('accepts %s', (_, init) => {
    expect(() => validatePipelineSpec(spec(init), 'spec', { builtins })).not.toThrow();
  });

  const a = builtin('a', 'train');
  const invalid: [string, SpecInit, string, string | RegExp][] = [
    ['no steps', { steps: [] }, 'spec.steps', 'at least one step'],
    ['a malformed step name', { steps: [builtin('Train', 'train')] }, 'spec.steps[0].name', 'lowercase'],
    [
      'a step name over 63 characters',
      { steps: [builtin('a'.repeat(64), 'train')] },
      'spec.steps[0].name',
      'at most 63',
    ],
    [
      'a duplicate step name',
      { steps: [a, a] },
      'spec.steps[1].name',
      'duplicate step name "a" (also steps[0])',
    ],
    ['a step without a kind', { steps: [{ name: 'a' }] }, 'spec.steps[0].kind', 'builtin or command'],
    [
      'an unknown built-in',
      { steps: [builtin('a', 'deploy-to-mars')] },
      'spec.steps[0].builtin.name',
      'unknown built-in step "deploy-to-mars" (known: evaluate, train)',
    ],
    [
      'a command naming no program',
      { steps: [command('a', [''])] },
      'spec.steps[0].command.command',
      'program',
    ],
    [
      'a command parameter named inputs',
      { steps: [command('a', ['node'], { parameters: { inputs: 1 } })] },
      'spec.steps[0].parameters.inputs',
      'reserved',
    ],
    [
      'an unknown dependency',
      { steps: [a, builtin('b', 'train', { dependsOn: ['a', 'ghost'] })] },
      'spec.steps[1].depends_on[1]',
      'unknown step "ghost"',
    ],
    [
      'a step depending on itself',
      { steps: [builtin('loop', 'train', { dependsOn: ['loop'] })] },
      'spec.steps[0].depends_on',
      'cycle: loop → loop',
    ],
    [
      'a cycle, spelled out',
      {
        steps: [
          builtin('a', 'train', { dependsOn: ['c'] }),
          builtin('b', 'train', { dependsOn: ['a'] }),
          builtin('c', 'train', { dependsOn: ['b'] }),
        ],
      },
      'spec.steps[1].depends_on',
      'dependencies form a cycle: a → c → b → a',
    ],
    [
      'a duplicate parameter',
      { parameters: [{ name: 'm' }, { name: 'm' }], steps: [a] },
      'spec.parameters[1].name',
      'duplicate parameter "m" (also parameters[0])',
    ],
    ['a negative pipeline timeout', { timeout: durationFromMs(-1), steps: [a] }, 'spec.timeout', 'negative'],
    [
      'a negative step timeout',
      { steps: [builtin('a', 'train', { timeout: durationFromMs(-1) })] },
      'spec.steps[0].timeout',
      'negative',
    ],
    [
      'a reference to a step that is not upstream',
      { steps: [a, builtin('b', 'train', { parameters: { x: { y: '${steps.a.outputs.y}' } } })] },
      'spec.steps[1].parameters.x.y',
      '"a" is not a step this one depends on',
    ],
    [
      'an undeclared parameter in a command argument',
      { steps: [command('a', ['python', '--model=${params.model}'])] },
      'spec.steps[0].command.command[1]',
      'no parameter "model"',
    ],
    [
      'a malformed reference in a condition',
      { steps: [builtin('a', 'train', { condition: '${param.y} == 1' })] },
      'spec.steps[0].condition',
      'unknown root "param"',
    ],
    [
      'an unknown run field in an environment variable',
      {
        steps: [
          { name: 'a', kind: { case: 'command', value: { command: ['node'], env: { WHO: '${run.user}' } } } },
        ],
      },
      'spec.steps[0].command.env[WHO]',
      'expected run.id or run.pipeline_name',
    ],
    [
      'an unescaped shell variable in a working directory',
      {
        steps: [
          { name: 'a', kind: { case: 'command', value: { command: ['node'], workingDir: '${HOME}' } } },
        ],
      },
      'spec.steps[0].command.working_dir',
      'unknown root "HOME"',
    ],
    [
      'an output reading a step the pipeline does not have',
      { steps: [a], outputs: { model: '${steps.b.outputs.model}' } },
      'spec.outputs[model]',
      '"b" is not a step of this pipeline',
    ],
  ];
  it.each(invalid)('rejects %s', (_, init, field, fragment) => {
    expect(() => validatePipelineSpec(spec(init), 'spec', { builtins })).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        field,
        message:
          typeof fragment === 'string' ? expect.stringContaining(fragment) : expect.stringMatching(fragment),
      }),
    );
  });

  it('checks built-in names only against a list it is given', () => {
    const unknown = spec({ steps: [builtin('a', 'deploy-to-mars')] });
    expect(() => validatePipelineSpec(unknown, 'spec')).not.toThrow();
    expect(() => validatePipelineSpec(unknown, 'spec', { builtins: [] })).toThrow(/known: none/);
  });
});

describe('DAG order', () => {
  const steps = spec({
    steps: [
      builtin('register', 'train', { dependsOn: ['evaluate-a', 'evaluate-b'] }),
      builtin('evaluate-a', 'train', { dependsOn: ['train-a'] }),
      builtin('train-a', 'train', { dependsOn: ['training-set'] }),
      builtin('training-set', 'train'),
      builtin('evaluate-b', 'train', { dependsOn: ['train-b'] }),
      builtin('train-b', 'train', { dependsOn: ['training-set'] }),
    ],
  }).steps;

  it('orders every step after its dependencies', () => {
    const order = topologicalOrder(steps) ?? [];
    expect([...order].sort()).toEqual(steps.map((s) => s.name).sort());
    for (const step of steps) {
      for (const dependency of step.dependsOn)
        expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(step.name));
    }
    expect(order[0]).toBe('training-set');
    expect(order.at(-1)).toBe('register');
  });

  it('has no order for a cycle', () => {
    expect(
      topologicalOrder([
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['a'] },
      ]),
    ).toBeUndefined();
  });

  it('knows the transitive dependencies of every step', () => {
    const ancestors = ancestorsOf(steps);
    expect(ancestors.get('training-set')).toEqual(new Set());
    expect(ancestors.get('evaluate-b')).toEqual(new Set(['train-b', 'training-set']));
    expect(ancestors.get('register')).toEqual(
      new Set(['evaluate-a', 'evaluate-b', 'train-a', 'train-b', 'training-set']),
    );
  });
});
