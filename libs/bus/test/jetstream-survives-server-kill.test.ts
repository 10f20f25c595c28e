// An acknowledged publish survives `kill -9` of the NATS server. The server is a private one (its
// own run dir and ports, started with scripts/servers/servers.sh by `startPrivateServer`, so with the very binary and
// nats.conf the shared one runs on); the shared server is not touched. A process kill leaves the
// OS page cache intact, so it cannot tell an fsync from a plain write: that the server fsyncs
// every write before acking (`sync_interval: always`) is checked on its /varz instead.
import { createNatsBus } from '@flywheel/bus/nats';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { type PrivateServer, startPrivateServer, uniqueName, waitFor } from '@flywheel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamNameOf } from '../src/nats/nats-names.ts';
import { type NatsSecurity, natsConnectOptionsOf } from '../src/nats/nats-security.ts';
import { realNats } from './nats-test-harness.ts';

const total = 300;

describe('JetStream keeps acknowledged events across kill -9 of the server (private nats-server)', () => {
  let nats: PrivateServer;
  let url: string;
  let security: NatsSecurity;
  let monitorUrl: string;
  /** The JetStream part of the running server's /varz. */
  const jetStreamConfig = async () => {
    const varz = (await (await fetch(`${monitorUrl}/varz`)).json()) as {
      server_id: string;
      jetstream: { config: { store_dir: string; sync_always?: boolean } };
    };
    return { serverId: varz.server_id, ...varz.jetstream.config };
  };

  beforeAll(async () => {
    nats = await startPrivateServer('nats');
    ({ url, security } = realNats({ ...nats.env }));
    monitorUrl = nats.env.FLYWHEEL_NATS_MONITOR_URL!;
  }, 150_000);

  afterAll(async () => {
    await nats?.clean();
  }, 120_000);

  it('consumes every acknowledged event after the server was SIGKILLed and restarted', {
    timeout: 300_000,
  }, async () => {
    // Sync on write: every message is fsynced before its ack (2.9.x had no such setting).
    const before = await jetStreamConfig();
    expect(before.sync_always).toBe(true);

    const topic = uniqueName('kill.events');
    const publisher = createNatsBus({ url, security, defaultTimeoutMs: 10_000 });
    await publisher.ensureTopics([topic]);
    // The stream is file-backed (a memory stream could not survive anything).
    const nc = await connect({ servers: url, name: 'flywheel-test-raw', ...natsConnectOptionsOf(security) });
    const info = await (await jetstreamManager(nc)).streams.info(streamNameOf(topic));
    expect(info.config.storage).toBe('file');
    await nc.close();

    const pid = await nats.pid();
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
    // Right after the last ack: no graceful shutdown, no chance to flush anything.
    await nats.kill();
    await publisher.close().catch(() => undefined);
    await nats.start();
    // A new server process on the same store dir.
    expect(await nats.pid()).not.toBe(pid);
    const after = await jetStreamConfig();
    expect(after.serverId).not.toBe(before.serverId);
    expect(after.store_dir).toBe(before.store_dir);

    const consumer = createNatsBus({ url, security, defaultTimeoutMs: 10_000 });
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
    expect(seen.size).toBe(total);
  });
});
