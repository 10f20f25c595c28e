// Raw nats.js access for the NATS tests: an independent connection to write foreign bytes and to
// read a stream as stored. Test support only, out of src/.

import { ConfigReader } from '@flywheel/core';
import type { WireMessage } from '@flywheel/events';
import { realServers, waitFor } from '@flywheel/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { EventBus } from '../src/event-bus.ts';
import { createNatsBus, type NatsBusOptions } from '../src/nats/nats-bus.ts';
import { streamNameOf, subjectOf } from '../src/nats/nats-names.ts';
import { type NatsSecurity, natsConnectOptionsOf, readNatsSecurity } from '../src/nats/nats-security.ts';
import { natsHeadersOf, wireMessageOf } from '../src/nats/nats-wire.ts';
import type { EventBusHarness } from './event-bus-contract.ts';

/** The shared NATS server's URL and security (TLS CA, test user) from `servers.env`, or those of `env`. */
export function realNats(env: Record<string, string> = realServers().natsEnv): {
  url: string;
  security: NatsSecurity;
} {
  const reader = new ConfigReader(env);
  const security = readNatsSecurity(reader);
  const url = reader.string('FLYWHEEL_NATS_URL', '');
  reader.done();
  return { url, security };
}

/** A NATS bus plus raw access to the same server (both with `options.security`). */
export async function natsHarness(
  url: string,
  options: Partial<NatsBusOptions> = {},
): Promise<EventBusHarness> {
  const bus = createNatsBus({ url, ...options });
  const others: EventBus[] = [];
  const nc = await connect({
    servers: url,
    name: 'flywheel-test-raw',
    ...natsConnectOptionsOf(options.security ?? {}),
  });
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
