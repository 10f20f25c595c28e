// Issue 11: heavy reads (historical features, training sets) run a few at a time, wait in a
// bounded FIFO line, and past it are refused with a retriable RESOURCE_EXHAUSTED naming the settings.
import { describe, expect, it } from 'vitest';
import { loadFeatureStoreConfig } from '../src/config.ts';
import { createHeavyReadGate } from '../src/use-cases/heavy-read-gate.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('the heavy-read gate', () => {
  it('runs `concurrency` at once, queues `queue` in order, refuses one more, and lets a cancelled waiter go', async () => {
    const gate = createHeavyReadGate({ concurrency: 1, queue: 2 });
    const order: string[] = [];
    const first = deferred();
    const running = gate.run(async () => {
      order.push('a');
      await first.promise;
    });
    const cancel = new AbortController();
    const cancelled = gate.run(async () => order.push('cancelled'), { signal: cancel.signal });
    const second = gate.run(async () => order.push('b'));
    await expect(gate.run(async () => order.push('refused'))).rejects.toMatchObject({
      code: 'resource_exhausted',
      retriable: true,
      message: expect.stringContaining('FLYWHEEL_FEATURE_STORE_HEAVY_READ_QUEUE'),
    });
    cancel.abort(new Error('client went away'));
    await expect(cancelled).rejects.toThrow('client went away');
    first.resolve();
    await Promise.all([running, second]);
    expect(order).toEqual(['a', 'b']);
    // Every place was given back: two more run at once after one another.
    await gate.run(async () => order.push('c'));
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('reads its bounds from the environment once, with defaults', () => {
    expect(loadFeatureStoreConfig({}).heavyReads).toEqual({ concurrency: 2, queue: 16 });
    expect(
      loadFeatureStoreConfig({
        FLYWHEEL_FEATURE_STORE_HEAVY_READS: '1',
        FLYWHEEL_FEATURE_STORE_HEAVY_READ_QUEUE: '0',
        FLYWHEEL_FEATURE_STORE_DATASET_STREAM_BYTES: '1048576',
      }),
    ).toMatchObject({ heavyReads: { concurrency: 1, queue: 0 }, datasetStreamBytes: 1048576 });
    expect(() => loadFeatureStoreConfig({ FLYWHEEL_FEATURE_STORE_HEAVY_READS: '0' })).toThrow(
      /FLYWHEEL_FEATURE_STORE_HEAVY_READS/,
    );
  });
});
