import { AppError } from '@flywheel/core';
import { uniqueName } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ModelRunner, RunnerOptions, TensorValue } from '../src/runtime/model-runner.ts';
import { createRuntimeLoader } from '../src/runtime/runtime-loader.ts';
import { loadWorkerPool } from '../src/runtime/worker-pool-runner.ts';
import { mlpModel, rowsTensor, slowModel } from './runtime-models.ts';
import {
  championDeployment,
  contentsRequest,
  expectProbabilities,
  rejection,
  startStack,
  v1Model,
} from './serving-harness.ts';

const mlpInputs = 32;

/** A worker-thread runner behind a dynamic batcher, with every batch's rows recorded. */
async function batchingRunner(
  bytes: Uint8Array,
  batching: RunnerOptions['dynamicBatching'],
  extra: Partial<RunnerOptions> = {},
): Promise<{ runner: ModelRunner; batches: number[] }> {
  const batches: number[] = [];
  const load = createRuntimeLoader({ onBatch: (rows) => batches.push(rows) });
  const runner = await load(bytes, {
    intraOpThreads: 0,
    interOpThreads: 0,
    instanceCount: 1,
    dynamicBatching: batching,
    ...extra,
  });
  onTestFinished(() => runner.close());
  return { runner, batches };
}

const x = (rows: number, offset: number) => new Map([['x', rowsTensor(rows, mlpInputs, offset)]]);
const scores = (outputs: Map<string, TensorValue>) => Array.from(outputs.get('score')!.data as Float32Array);

describe('the dynamic batcher', () => {
  it('runs a warm-up at once, outside the queue, however long the queue delay', async () => {
    const { runner, batches } = await batchingRunner(mlpModel(mlpInputs), {
      maxBatchSize: 16,
      maxQueueDelayUs: 3_600_000_000,
      preferredBatchSizes: [],
    });
    const { warmUp } = await import('../src/runtime/warm-up.ts');
    // An hour of queue delay: the test only finishes if the warm-up skips the queue.
    await warmUp(runner);
    expect(batches).toEqual([]);
  });

  it('merges concurrent requests into one batch and gives each the rows it would get alone', async () => {
    const bytes = mlpModel(mlpInputs);
    const { runner, batches } = await batchingRunner(bytes, {
      maxBatchSize: 16,
      maxQueueDelayUs: 10_000_000,
      preferredBatchSizes: [],
    });
    const sizes = [1, 3, 2, 4, 1, 5];
    const offsets = sizes.map((_, i) => i * 10);
    const batched = await Promise.all(sizes.map((rows, i) => runner.run(x(rows, offsets[i]!), ['score'])));

    const alone = await loadWorkerPool(bytes, { instanceCount: 1, intraOpThreads: 0, interOpThreads: 0 });
    onTestFinished(() => alone.close());
    for (const [i, rows] of sizes.entries()) {
      const expected = scores(await alone.run(x(rows, offsets[i]!), ['score']));
      expect(batched[i]!.get('score')!.shape).toEqual([rows, 1]);
      const actual = scores(batched[i]!);
      expect(actual).toHaveLength(rows);
      for (const [j, value] of actual.entries()) expect(value).toBeCloseTo(expected[j]!, 5);
    }
    // 16 rows filled one batch at once, without waiting for the delay.
    expect(batches).toEqual([16]);
  });

  it('sends a preferred batch size as soon as the queue holds one, the rest after the delay', async () => {
    const { runner, batches } = await batchingRunner(mlpModel(mlpInputs), {
      maxBatchSize: 64,
      maxQueueDelayUs: 300_000,
      preferredBatchSizes: [4],
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => runner.run(x(1, i), ['score'])));
    expect(batches).toEqual([4, 4, 2]);
  });

  it('runs queued requests by priority level, lower first, unset last', async () => {
    const { runner } = await batchingRunner(mlpModel(mlpInputs), {
      maxBatchSize: 1,
      maxQueueDelayUs: 0,
      preferredBatchSizes: [],
    });
    const order: string[] = [];
    const send = (label: string, priority: number) =>
      runner.run(x(1, 0), ['score'], { priority }).then(() => order.push(label));
    // The first takes the only instance; the rest queue behind it.
    await Promise.all([
      send('busy', 0),
      send('unset', 0),
      send('p3', 3),
      send('p1', 1),
      send('p2', 2),
      send('p1-later', 1),
    ]);
    expect(order).toEqual(['busy', 'p1', 'p1-later', 'p2', 'p3', 'unset']);
  });

  it('answers DEADLINE_EXCEEDED without computing a request whose timeout or deadline passes in the queue', async () => {
    const { runner, batches } = await batchingRunner(slowModel(512, 24), {
      maxBatchSize: 256,
      maxQueueDelayUs: 0,
      preferredBatchSizes: [],
    });
    const slow = new Map([['x', rowsTensor(256, 512)]]);
    const small = new Map([['x', rowsTensor(1, 512)]]);
    const busy = runner.run(slow, ['y']);
    const timedOut = rejection(runner.run(small, ['y'], { timeoutUs: 1_000 }), 'deadline_exceeded');
    const deadline = new AbortController();
    const cancelled = rejection(runner.run(small, ['y'], { signal: deadline.signal }), 'deadline_exceeded');
    deadline.abort(new AppError('deadline_exceeded', 'the caller gave up'));

    expect((await timedOut).message).toContain('timeout of 1000 µs');
    expect((await cancelled).message).toBe('the caller gave up');
    await busy;
    expect(await runner.run(small, ['y'])).toBeDefined();
    // The busy run, the last run: neither expired request reached the model.
    expect(batches).toEqual([256, 1]);
  });

  it('answers RESOURCE_EXHAUSTED when the queue is full, and serves the queued requests', async () => {
    const { runner } = await batchingRunner(
      mlpModel(mlpInputs),
      { maxBatchSize: 1, maxQueueDelayUs: 0, preferredBatchSizes: [] },
      { maxQueueSize: 2 },
    );
    const accepted = [
      runner.run(x(1, 0), ['score']),
      runner.run(x(1, 1), ['score']),
      runner.run(x(1, 2), ['score']),
    ];
    const error = await rejection(runner.run(x(1, 3), ['score']), 'resource_exhausted');
    expect(error.message).toContain('max_queue_size');
    expect(await Promise.all(accepted)).toHaveLength(3);
  });
});

describe('a deployment with dynamic batching', () => {
  it('answers concurrent OIP requests each with its own rows, honouring priority and timeout parameters', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('batched', model, {
        runtime: {
          instanceCount: 1,
          dynamicBatching: { maxBatchSize: 8, maxQueueDelayUs: 2_000, preferredBatchSizes: [4, 8] },
        },
      }),
    });
    const requests = Array.from({ length: 24 }, (_, i) => {
      const rows = [[10 + i, i / 2, (i % 5) + 1]].concat(i % 3 === 0 ? [[i, -i, 2]] : []);
      return { rows, request: contentsRequest('batched', rows) };
    });
    const responses = await Promise.all(
      requests.map(({ request }, i) =>
        stack.inference.modelInfer({
          ...request,
          parameters: {
            priority: { parameterChoice: { case: 'uint64Param', value: BigInt(i % 3) } },
            timeout: { parameterChoice: { case: 'int64Param', value: 10_000_000n } },
          },
        }),
      ),
    );
    for (const [i, response] of responses.entries()) {
      const probability = response.outputs.find((output) => output.name === 'probability')!;
      expectProbabilities(probability.contents!.fp32Contents, v1Model, requests[i]!.rows);
    }
    const bad = await rejection(
      stack.inference.modelInfer({
        ...contentsRequest('batched'),
        parameters: { priority: { parameterChoice: { case: 'stringParam', value: 'high' } } },
      }),
      'invalid_argument',
    );
    expect(bad.message).toContain('parameters.priority');
  });
});
