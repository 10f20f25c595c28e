import { newEventId } from '@flywheel/events';
import { realServers } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { describeEventBusContract } from '../../test/event-bus-contract.ts';
import { natsHarness } from '../../test/nats-test-harness.ts';
import { createNatsBus } from './nats-bus.ts';

describeEventBusContract('nats', () => natsHarness(realServers().natsUrl));

describe('nats bus without a server', () => {
  it('fails publish with a retriable unavailable by its deadline instead of hanging', async () => {
    const bus = createNatsBus({ url: 'nats://127.0.0.1:1' });
    const started = Date.now();
    const publishing = bus.publish(
      [
        {
          id: newEventId(),
          type: 'nowhere.to-go',
          source: 'test',
          time: new Date().toISOString(),
          datacontenttype: 'text/plain',
          data: new Uint8Array(),
          key: 'k',
        },
      ],
      { timeoutMs: 1500 },
    );
    await expect(publishing).rejects.toMatchObject({
      name: 'AppError',
      code: 'unavailable',
      retriable: true,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    const subscription = bus.subscribe({ topics: ['nowhere.to-go'], group: 'g' });
    await expect(subscription.ready({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'unavailable' });
    await subscription.close();
    await bus.close();
  });
});
