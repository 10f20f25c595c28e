import { type CloudEvent, contentTypes, newEventId } from '@flywheel/events';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { describeEventBusContract } from '../../test/event-bus-contract.ts';
import { natsHarness, realNats } from '../../test/nats-test-harness.ts';
import { describeUnreachableBroker } from '../../test/unreachable-broker.ts';
import { createNatsBus } from './nats-bus.ts';

describeEventBusContract('nats', () => natsHarness(realNats().url, { security: realNats().security }));

describeUnreachableBroker('nats', () => createNatsBus({ url: 'nats://127.0.0.1:1' }));

describe('nats durable names', () => {
  it('gives two groups that differ only in `.` and `_` a consumer each, so each gets every event', async () => {
    // serving's per-replica groups are `serving.<instance>`, and instance ids may hold `.` and `_`.
    const bus = createNatsBus(realNats());
    const topic = uniqueName('nats.durables');
    const suffix = uniqueName('r');
    const groups = [`serving.web_1-${suffix}`, `serving.web.1-${suffix}`];
    const subscriptions = groups.map((group) =>
      bus.subscribe({ topics: [topic], group, fromBeginning: true }),
    );
    try {
      await Promise.all(subscriptions.map((subscription) => subscription.ready({ timeoutMs: 60_000 })));
      const sent: CloudEvent[] = Array.from({ length: 4 }, (_, i) => ({
        id: newEventId(),
        type: topic,
        source: 'flywheel/nats-durables-test',
        time: new Date().toISOString(),
        datacontenttype: contentTypes.protobuf,
        data: new Uint8Array([i]),
        key: 'web',
      }));
      await bus.publish(sent, { timeoutMs: 30_000 });
      const received = subscriptions.map(() => [] as string[]);
      subscriptions.forEach((subscription, i) => {
        void (async () => {
          for await (const delivery of subscription) {
            await delivery.ack();
            received[i]!.push(delivery.event.id);
          }
        })();
      });
      await waitFor(() => received.every((ids) => ids.length >= sent.length), {
        timeoutMs: 30_000,
        what: 'every event in both groups',
      }).catch(() => undefined);
      for (const ids of received) expect(ids).toEqual(sent.map((event) => event.id));
    } finally {
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
      await bus.close();
    }
  }, 90_000);
});
