import { waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadWorkerPool } from '../src/runtime/worker-pool-runner.ts';
import type { ToWorker } from '../src/runtime/worker-protocol.ts';
import { rowsTensor, slowModel } from './runtime-models.ts';
import { rejection } from './serving-harness.ts';

describe('a worker-thread runner', () => {
  it('fails the runs of a crashed worker as UNAVAILABLE, starts and warms a new one, then answers again', async () => {
    const pool = await loadWorkerPool(slowModel(512, 24), {
      instanceCount: 1,
      intraOpThreads: 1,
      interOpThreads: 1,
    });
    onTestFinished(() => pool.close());
    const [crashed] = pool.workers();
    expect(crashed).toBeDefined();
    // The worker takes messages in order: it exits before it starts the run sent after the crash.
    crashed!.postMessage({ kind: 'crash', code: 1 } satisfies ToWorker);
    const inFlight = pool.run(new Map([['x', rowsTensor(256, 512)]]), ['y']);
    const error = await rejection(inFlight, 'unavailable');
    expect(error.message).toContain('worker stopped');
    // Bounded: each attempt either fails fast (no live worker yet) or is answered by the new one.
    const answered = await waitFor(
      async () => {
        try {
          return await pool.run(new Map([['x', rowsTensor(2, 512)]]), ['y']);
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, what: 'a run answered by the replacement worker' },
    );
    expect(answered.get('y')?.shape).toEqual([2, 512]);
    expect(pool.workers()).toHaveLength(1);
    expect(pool.workers()[0]).not.toBe(crashed);
    expect(pool.instances).toBe(1);
  });
});
