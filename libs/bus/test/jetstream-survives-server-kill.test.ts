// An acknowledged publish survives `kill -9` of the NATS server. The server is a private one (its
// own run dir and ports, started with scripts/servers/servers.sh by `startPrivateServer`, so with the very nats.conf the
// shared one runs on); the shared server is not touched.
import { createNatsBus } from '@flywheel/bus';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { type PrivateServer, startPrivateServer, uniqueName, waitFor } from '@flywheel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamNameOf } from '../src/nats/nats-names.ts';

const total = 300;

describe('JetStream keeps acknowledged events across kill -9 of the server (private nats-server)', () => {
  let nats: PrivateServer;
  let url: string;

  beforeAll(async () => {
    nats = await startPrivateServer('nats');
    url = nats.env.FLYWHEEL_NATS_URL!;
  }, 150_000);

  afterAll(async () => {
    await nats?.clean();
  }, 120_000);

  it('consumes every acknowledged event after the server was SIGKILLed and restarted', {
    timeout: 300_000,
  }, async () => {
    const topic = uniqueName('kill.events');
    const publisher = createNatsBus({ url, defaultTimeoutMs: 10_000 });
    const ids: string[] = [];
    for (let i = 0; i < total; i++) {
      const event: CloudEvent = {
        id: newEventId(),
        type: topic,
        source: 'kill-test',
        time: new Date().toISOString(),
        datacontenttype: 'text/plain',
        data: new TextEncoder().encode(`event ${i}`),
        key: `key-${i % 7}`,
      };
      await publisher.publish([event], { timeoutMs: 10_000 }); // resolves on JetStream's ack
      ids.push(event.id);
    }

    // The stream is file-backed (a memory stream could not survive anything).
    const nc = await connect({ servers: url, name: 'flywheel-test-raw' });
    const info = await (await jetstreamManager(nc)).streams.info(streamNameOf(topic));
    expect(info.config.storage).toBe('file');
    await nc.close();

    // Right after the last ack: no graceful shutdown, no chance to flush anything.
    await nats.kill();
    await publisher.close().catch(() => undefined);
    await nats.start();

    const consumer = createNatsBus({ url, defaultTimeoutMs: 10_000 });
    const seen = new Set<string>();
    const subscription = consumer.subscribe({ topics: [topic], group: uniqueName('after-kill') });
    const consuming = (async () => {
      for await (const delivery of subscription) {
        seen.add(delivery.event.id);
        await delivery.ack();
        if (seen.size >= total) break;
      }
    })();
    await waitFor(() => seen.size >= total, {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: `all ${total} acknowledged events after the restart (got ${seen.size})`,
    }).catch(async (error: unknown) => {
      await subscription.close();
      throw error;
    });
    await consuming;
    await consumer.close();
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
  });
});
