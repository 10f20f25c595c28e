import { waitFor } from '@flywheel/testing';
import { describeEventBusContract } from '../../test/event-bus-contract.ts';
import { createMemoryBus } from './memory-bus.ts';

describeEventBusContract('memory', async () => {
  const bus = createMemoryBus();
  return {
    bus,
    publishWire: (topic, message) => bus.publishWire(topic, [message]),
    readWire: (topic, count, timeoutMs) =>
      waitFor(() => bus.retained(topic).length >= count && [...bus.retained(topic)], {
        timeoutMs,
        what: `${count} messages on ${topic}`,
      }),
    close: () => bus.close(),
  };
});
