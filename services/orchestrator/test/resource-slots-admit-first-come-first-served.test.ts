import { describe, expect, it } from 'vitest';
import { createResourceSlots } from '../src/executors/job-slots.ts';

const cores = (cpu: number, memoryMib = 0) => ({ cpu, memoryMib, gpu: 0 });

describe('resource slots', () => {
  it('admit in arrival order: a request that does not fit holds back smaller ones behind it', async () => {
    const slots = createResourceSlots(cores(4, 1000));
    const order: string[] = [];
    const never = new AbortController().signal;
    const releaseA = await slots.acquire(cores(3), never);
    const waits: string[] = [];
    const big = slots
      .acquire(cores(2), never, (why) => waits.push(why))
      .then((r) => {
        order.push('big');
        return r;
      });
    const small = slots.acquire(cores(1), never).then((r) => {
      order.push('small');
      return r;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(waits[0]).toContain('waiting for 2 cores and 0 MiB: 3 of 4 cores');
    releaseA();
    const [releaseBig, releaseSmall] = await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(slots.inUse).toEqual(cores(3));
    releaseBig();
    releaseBig(); // twice is once
    releaseSmall();
    expect(slots.inUse).toEqual(cores(0));
  });

  it('let the next one in when the waiting head is aborted, and hold adopted jobs at once', async () => {
    const slots = createResourceSlots(cores(2, 1000));
    const never = new AbortController().signal;
    const held = slots.hold(cores(2, 900)); // over nothing: an adopted job takes its share
    const abort = new AbortController();
    const head = slots.acquire(cores(0, 500), abort.signal);
    const next = slots.acquire(cores(0, 100), never);
    abort.abort(new Error('cancelled'));
    await expect(head).rejects.toMatchObject({ message: expect.stringContaining('cancelled') });
    const releaseNext = await next;
    expect(slots.inUse).toEqual(cores(2, 1000));
    releaseNext();
    held();
    expect(slots.inUse).toEqual(cores(0, 0));
  });
});
