// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pipeline templates are literal ${...} strings.
import { create, type JsonObject, type MessageInitShape } from '@bufbuild/protobuf';
import { PipelineSpecSchema, type StepSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { describe, expect, it } from 'vitest';
import {
  checkForEachItemsKnownNow,
  forEachItemsOf,
  pipelineResolver,
  renderJson,
  validatePipelineSpec,
} from '../src/index.ts';

type SpecInit = MessageInitShape<typeof PipelineSpecSchema>;
const spec = (init: SpecInit) => create(PipelineSpecSchema, init);
type StepInit = MessageInitShape<typeof StepSchema>;
interface StepExtra {
  dependsOn?: string[];
  parameters?: JsonObject;
  condition?: string;
  forEach?: { items: string; parallelism?: number };
}
const step = (name: string, extra: StepExtra = {}): StepInit => ({
  name,
  kind: { case: 'builtin', value: { name: 'train' } },
  ...extra,
});
const numberDefault = (value: number) => ({ kind: { case: 'numberValue' as const, value } });
const listDefault = (values: number[]) => ({
  kind: {
    case: 'listValue' as const,
    value: { values: values.map((value) => ({ kind: { case: 'numberValue' as const, value } })) },
  },
});

const fails = (init: SpecInit, field: string, message: string) => {
  try {
    validatePipelineSpec(spec(init), 'spec');
  } catch (error) {
    expect(error).toMatchObject({ code: 'invalid_argument', field });
    expect((error as Error).message).toContain(message);
    return;
  }
  throw new Error('expected the spec to be refused');
};

describe('for_each', () => {
  it('takes lists, JSON list text, and refuses anything else or too many items', () => {
    expect(forEachItemsOf([1, 'a'], 'f')).toEqual([1, 'a']);
    expect(forEachItemsOf('[0.01, 0.1]', 'f')).toEqual([0.01, 0.1]);
    expect(() => forEachItemsOf(0.1, 'f')).toThrow('f: must be a JSON list; got 0.1');
    expect(() => forEachItemsOf('lr', 'f')).toThrow('f: must be a JSON list; got the text lr');
    expect(() => forEachItemsOf({ a: 1 }, 'f')).toThrow('must be a JSON list');
    expect(() =>
      forEachItemsOf(
        Array.from({ length: 1001 }, () => 0),
        'f',
      ),
    ).toThrow('has 1001 items; a step runs at most 1000 iterations');
  });

  it('resolves ${for_each.item}, its fields and ${for_each.index}, keeping JSON types', () => {
    const resolve = pipelineResolver({
      params: {},
      steps: {},
      run: { id: 'r', pipeline_name: 'p' },
      forEach: { item: { lr: 0.1, layers: [2, 3] }, index: 4 },
    });
    expect(
      renderJson(
        {
          all: '${for_each.item}',
          lr: '${for_each.item.lr}',
          at: '${for_each.index}',
          text: 'n${for_each.index}',
        },
        resolve,
      ),
    ).toEqual({ all: { lr: 0.1, layers: [2, 3] }, lr: 0.1, at: 4, text: 'n4' });
    const outside = pipelineResolver({ params: {}, steps: {}, run: { id: 'r', pipeline_name: 'p' } });
    expect(() => renderJson('${for_each.item}', outside)).toThrow('only a step with for_each has an item');
  });

  it('accepts items from parameters, literals and upstream outputs', () => {
    expect(() =>
      validatePipelineSpec(
        spec({
          parameters: [{ name: 'lrs', defaultValue: listDefault([0.1, 0.01]) }, { name: 'other' }],
          steps: [
            step('split'),
            step('a', { forEach: { items: '${params.lrs}' }, parameters: { lr: '${for_each.item}' } }),
            step('b', {
              forEach: { items: '[1, 2]', parallelism: 2 },
              parameters: { i: '${for_each.index}' },
            }),
            step('c', {
              dependsOn: ['split'],
              forEach: { items: '${steps.split.outputs.shards}' },
              parameters: { shard: '${for_each.item.name}' },
            }),
            step('d', { forEach: { items: '${params.other}' } }),
            step('best', { dependsOn: ['a'], parameters: { all: '${steps.a.outputs}' } }),
          ],
        }),
        'spec',
      ),
    ).not.toThrow();
  });

  it('refuses what it can tell is wrong before the run', () => {
    fails(
      {
        parameters: [{ name: 'lr', defaultValue: numberDefault(0.1) }],
        steps: [step('a', { forEach: { items: '${params.lr}' } })],
      },
      'spec.steps[0].for_each.items',
      'must be a JSON list; got 0.1',
    );
    fails(
      { steps: [step('a', { forEach: { items: '{"a": 1}' } })] },
      'spec.steps[0].for_each.items',
      'must be a JSON list',
    );
    fails(
      { steps: [step('a', { forEach: { items: ' ' } })] },
      'spec.steps[0].for_each.items',
      'must name the list',
    );
    fails(
      { steps: [step('a', { forEach: { items: '[1]', parallelism: -1 } })] },
      'spec.steps[0].for_each.parallelism',
      'must not be negative',
    );
    fails(
      { steps: [step('split'), step('a', { forEach: { items: '${steps.split.outputs.shards}' } })] },
      'spec.steps[1].for_each.items',
      'add it to depends_on',
    );
    fails(
      { steps: [step('a', { parameters: { lr: '${for_each.item}' } })] },
      'spec.steps[0].parameters.lr',
      'only a step with for_each has an item (set steps[0].for_each)',
    );
    fails(
      { steps: [step('a', { forEach: { items: '[1]' }, condition: '${for_each.item} == 1' })] },
      'spec.steps[0].condition',
      'evaluated once for the step',
    );
    fails(
      { steps: [step('a', { forEach: { items: '${for_each.item}' } })] },
      'spec.steps[0].for_each.items',
      'cannot refer to an iteration',
    );
    fails(
      { steps: [step('a', { parameters: { x: '${for_each.items}' } })] },
      'spec.steps[0].parameters.x',
      'expected for_each.item',
    );
  });

  it('checks run parameters that are known at submit', () => {
    const pipeline = spec({
      parameters: [{ name: 'lrs' }],
      steps: [step('a', { forEach: { items: '${params.lrs}' } })],
    });
    expect(() => checkForEachItemsKnownNow(pipeline, { lrs: [0.1] }, 'spec')).not.toThrow();
    expect(() => checkForEachItemsKnownNow(pipeline, { lrs: 'nope' }, 'spec')).toThrow(
      'spec.steps[0].for_each.items: must be a JSON list; got the text nope',
    );
  });
});
