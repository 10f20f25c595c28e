import { create } from '@bufbuild/protobuf';
import { RunSchema, RunState, StepState } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { describe, expect, it } from 'vitest';
import type { PageContext } from '../src/pages/page-context.ts';
import { runDetail } from '../src/pages/run-page.ts';

describe('the run page', () => {
  it('lists a for_each step’s iterations as rows under it, with their items', async () => {
    const run = create(RunSchema, {
      id: 'run-1',
      pipelineName: 'sweep',
      state: RunState.SUCCEEDED,
      spec: { steps: [{ name: 'train', forEach: { items: '[0.1, 0.01]' } }] },
      steps: [
        {
          name: 'train',
          state: StepState.SUCCEEDED,
          iterations: [0.1, 0.01].map((lr, index) => ({
            name: `train[${index}]`,
            index,
            state: StepState.SUCCEEDED,
            item: { kind: { case: 'numberValue' as const, value: lr } },
            attempts: [{ id: `run-1/train[${index}]/1`, attempt: 1 }],
          })),
        },
      ],
    });
    const ctx = {
      traceUrl: undefined,
      clients: {
        orchestrator: {
          getRun: async () => ({ run }),
          streamJobLogs: async function* () {},
        },
      },
    } as unknown as PageContext;
    const page = String(await runDetail(ctx, 'run-1'));
    const rows = page.match(/<tr[^>]*><td>[^<]*train[^<]*<\/td>/g) ?? [];
    expect(rows).toEqual([
      '<tr><td>train</td>',
      '<tr class="iteration"><td>↳ train[0] 0.1</td>',
      '<tr class="iteration"><td>↳ train[1] 0.01</td>',
    ]);
  });
});
