import { describe, expect, it, onTestFinished } from 'vitest';
import type { ModelRunner, TensorValue } from '../src/runtime/model-runner.ts';
import { createRuntimeLoader } from '../src/runtime/runtime-loader.ts';
import { mlpModel, rowsTensor } from './runtime-models.ts';

const width = 32;
const runtime = { intraOpThreads: 0, interOpThreads: 0, instanceCount: 1 };
const scores = (outputs: Map<string, TensorValue>) => Array.from(outputs.get('score')!.data as Float32Array);

async function loaded(inline: boolean): Promise<ModelRunner> {
  const runner = await createRuntimeLoader(inline ? {} : { inline: false })(mlpModel(width), runtime);
  onTestFinished(() => runner.close());
  return runner;
}

describe('the runtime for a small, fast model', () => {
  it('answers small requests (in-process) and big ones (worker threads) exactly as the worker threads alone do', async () => {
    const fast = await loaded(true);
    const workers = await loaded(false);
    // 1 row runs on the in-process session; 500 rows exceed its 64-row limit and go to a worker.
    for (const rows of [1, 3, 500]) {
      const inputs = new Map([['x', rowsTensor(rows, width, 2)]]);
      const expected = scores(await workers.run(inputs, ['score']));
      const actual = scores(await fast.run(new Map([['x', rowsTensor(rows, width, 2)]]), ['score']));
      expect(actual).toHaveLength(rows);
      for (const [i, value] of actual.entries()) expect(value).toBeCloseTo(expected[i]!, 5);
    }
  });

  it('refuses inputs the model cannot run on with the same error in-process as in the workers', async () => {
    const fast = await loaded(true);
    const workers = await loaded(false);
    const bad = new Map([['x', rowsTensor(1, width + 1)]]);
    const inProcess = await fast.run(bad, ['score']).catch((error: unknown) => error);
    const inWorker = await workers.run(bad, ['score']).catch((error: unknown) => error);
    expect(inProcess).toMatchObject({ code: 'invalid_argument', field: 'inputs' });
    expect(inWorker).toMatchObject({ code: 'invalid_argument', field: 'inputs' });
  });

  it('stops both sessions on close and refuses runs afterwards', async () => {
    const fast = await createRuntimeLoader()(mlpModel(width), runtime);
    await fast.close();
    await expect(fast.run(new Map([['x', rowsTensor(1, width)]]), ['score'])).rejects.toMatchObject({
      code: 'failed_precondition',
    });
  });
});
