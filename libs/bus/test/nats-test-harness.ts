// Raw nats.js access for the NATS tests: an independent connection to write foreign bytes and to
// read a stream as stored. Test support only, out of src/.
import type { WireMessage } from '@flywheel/events';
import { waitFor } from '@flywheel/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { EventBus } from '../src/event-bus.ts';
import { createNatsBus, type NatsBusOptions } from '../src/nats/nats-bus.ts';
import { streamNameOf, subjectOf } from '../src/nats/nats-names.ts';
import { natsHeadersOf, wireMessageOf } from '../src/nats/nats-wire.ts';
import type { EventBusHarness } from './event-bus-contract.ts';

/** A NATS bus plus raw access to the same server. */
export async function natsHarness(
  url: string,
  options: Partial<NatsBusOptions> = {},
): Promise<EventBusHarness> {
  const bus = createNatsBus({ url, ...options });
  const others: EventBus[] = [];
  const nc = await connect({ servers: url, name: 'flywheel-test-raw' });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return {
    bus,
    publishWire: async (topic, message) => {
      // A foreign producer following the documented convention: the key in the flywheel-key header.
      await js.publish(subjectOf('flywheel', topic), message.value, { headers: natsHeadersOf(message) });
    },
    readWire: (topic, count, timeoutMs) =>
      waitFor(
        async () => {
          const messages: WireMessage[] = [];
          for (let seq = 1; seq <= count; seq++) {
            const stored = await jsm.streams.getMessage(streamNameOf(topic), { seq });
            if (!stored) return false;
            messages.push(wireMessageOf(stored.data, stored.header));
          }
          return messages;
        },
        { timeoutMs, intervalMs: 100, what: `${count} messages in the stream of ${topic}` },
      ),
    withTopicPrefix: (topicPrefix) => {
      const other = createNatsBus({ url, ...options, topicPrefix });
      others.push(other);
      return other;
    },
    topicNames: async () => {
      // A stream's subject is `flywheel.<topic name on the broker>`.
      const names: string[] = [];
      for await (const stream of jsm.streams.list()) {
        for (const subject of stream.config.subjects ?? [])
          if (subject.startsWith('flywheel.')) names.push(subject.slice('flywheel.'.length));
      }
      return names;
    },
    close: async () => {
      await Promise.all([bus, ...others].map((each) => each.close()));
      await nc.drain();
    },
  };
}
