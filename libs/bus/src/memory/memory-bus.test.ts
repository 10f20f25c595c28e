import { waitFor } from '@flywheel/testing';
import { describeEventBusContract } from '../../test/event-bus-contract.ts';
import { createMemoryBus, type MemoryBus } from './memory-bus.ts';

describeEventBusContract('memory', async () => {
  const bus = createMemoryBus();
  // Each in-process bus is its own broker: raw access reads all of them.
  const buses: MemoryBus[] = [bus];
  const retained = (topic: string) => buses.flatMap((each) => each.retained(topic));
  return {
    bus,
    publishWire: (topic, message) => bus.publishWire(topic, [message]),
    readWire: (topic, count, timeoutMs) =>
      waitFor(() => retained(topic).length >= count && retained(topic), {
        timeoutMs,
        what: `${count} messages on ${topic}`,
      }),
    withTopicPrefix: (topicPrefix) => {
      const other = createMemoryBus({ topicPrefix });
      buses.push(other);
      return other;
    },
    close: async () => {
      await Promise.all(buses.map((each) => each.close()));
    },
  };
});
