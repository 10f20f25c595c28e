import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from './delivery-queue.ts';

const input = (n: number) => ({
  event: {
    id: `e${n}`,
    type: 't',
    source: 's',
    time: '',
    datacontenttype: 'text/plain',
    data: new Uint8Array(),
    key: 'k',
  },
  topic: 't',
  group: 'g',
  attempt: 1,
});

describe('DeliveryQueue', () => {
  it('lets no more than its capacity be unsettled: deliver waits for room', async () => {
    const queue = new DeliveryQueue(1, async () => {});
    const first = queue.deliver(input(1));
    let secondQueued = false;
    const second = queue.deliver(input(2)).finally(() => {
      secondQueued = true;
    });
    const taken = await queue.next();
    expect(taken.value?.event.id).toBe('e1');
    const pending = queue.next();
    await new Promise((resolve) => setImmediate(resolve));
    await taken.value!.ack();
    expect(await first).toEqual({ acked: true });
    expect((await pending).value?.event.id).toBe('e2');
    expect(secondQueued).toBe(false);
    await (await pending).value!.nack(new Error('x'));
    expect(await second).toMatchObject({ acked: false });
  });

  it('hands back what was not taken on close, waits for what was, and ends the iteration', async () => {
    const queue = new DeliveryQueue(2, async () => {});
    const first = queue.deliver(input(1));
    const second = queue.deliver(input(2));
    const taken = (await queue.next()).value!;
    queue.close();
    expect(await second).toBeUndefined();
    expect((await queue.next()).done).toBe(true);
    const drained = queue.drain(10_000);
    await taken.ack();
    await drained;
    expect(await first).toEqual({ acked: true });
    expect(await queue.deliver(input(3))).toBeUndefined();
  });

  it('gives up on a delivery not settled within the drain time, and ignores its late settlement', async () => {
    const queue = new DeliveryQueue(1, async () => {});
    const first = queue.deliver(input(1));
    const taken = (await queue.next()).value!;
    queue.close();
    await queue.drain(20);
    expect(await first).toBeUndefined();
    await taken.ack();
  });
});
