import { uniqueName } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { championDeployment, contentsRequest, startStack, v1Model } from './serving-harness.ts';

describe('ModelStatistics of a deployment', () => {
  it('counts one execution per dynamic batch, with its size in batch_stats and the queue time', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({
      deployment: championDeployment('batch-stats', model, {
        runtime: {
          instanceCount: 1,
          // Sends four queued rows as one batch at once. The delay is short because the load-time
          // warm-up run also goes through the batcher and waits for it.
          dynamicBatching: { maxBatchSize: 4, maxQueueDelayUs: 3_000_000, preferredBatchSizes: [4] },
        },
      }),
    });
    await Promise.all(
      [0, 1, 2, 3].map((i) => stack.inference.modelInfer(contentsRequest('batch-stats', [[10 + i, 5, 3]]))),
    );

    const { modelStats } = await stack.inference.modelStatistics({ name: 'batch-stats', version: '' });
    expect(modelStats).toHaveLength(1);
    const stats = modelStats[0]!;
    expect(stats.inferenceCount).toBe(4n);
    expect(stats.executionCount).toBe(1n);
    expect(stats.batchStats.map((batch) => [batch.batchSize, batch.computeInfer?.count])).toEqual([[4n, 1n]]);
    expect(stats.inferenceStats?.queue?.count).toBe(4n);
    expect(stats.inferenceStats?.queue?.ns).toBeGreaterThan(0n);
  });

  it('counts every request as its own execution when the deployment does not batch', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('unbatched', model) });
    await stack.inference.modelInfer(contentsRequest('unbatched', [[10, 5, 3]]));
    await stack.inference.modelInfer(
      contentsRequest('unbatched', [
        [10, 5, 3],
        [12, 6, 2],
      ]),
    );
    await stack.inference.modelInfer(contentsRequest('unbatched', [[11, 4, 1]]));

    const { modelStats } = await stack.inference.modelStatistics({ name: 'unbatched', version: '' });
    const stats = modelStats[0]!;
    expect(stats.executionCount).toBe(3n);
    expect(stats.batchStats.map((batch) => [batch.batchSize, batch.computeInfer?.count])).toEqual([
      [1n, 2n],
      [2n, 1n],
    ]);
  });

  it('batches the running version once UpdateDeployment turns dynamic batching on', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('rebatched', model) });
    const four = () =>
      Promise.all(
        [0, 1, 2, 3].map((i) => stack.inference.modelInfer(contentsRequest('rebatched', [[10 + i, 5, 3]]))),
      );
    const executions = async () =>
      (await stack.inference.modelStatistics({ name: 'rebatched', version: '' })).modelStats[0]!
        .executionCount;
    await four();
    expect(await executions()).toBe(4n);

    await stack.serving.updateDeployment({
      deployment: championDeployment('rebatched', model, {
        runtime: {
          dynamicBatching: { maxBatchSize: 4, maxQueueDelayUs: 3_000_000, preferredBatchSizes: [4] },
        },
      }),
    });
    const answers = await four();
    expect(answers.map((answer) => answer.modelVersion)).toEqual(['1', '1', '1', '1']);
    // The four queued rows went to the model as one batch: one more execution, not four.
    expect(await executions()).toBe(5n);
  });
});
