// What every broker adapter does when its broker cannot be reached, run by kafka-bus.test.ts and
// nats-bus.test.ts. Test support: it imports Vitest, so it lives out of src/.
import { newEventId } from '@flywheel/events';
import { describe, expect, it } from 'vitest';
import type { EventBus } from '../src/event-bus.ts';

/** `createUnreachable()` builds the adapter pointed at a port nothing listens on. */
export function describeUnreachableBroker(name: string, createUnreachable: () => EventBus): void {
  describe(`${name} bus without a broker`, () => {
    it('fails publish with a retriable unavailable by its deadline instead of hanging', async () => {
      const bus = createUnreachable();
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
}
