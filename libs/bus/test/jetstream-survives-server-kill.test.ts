// An acknowledged publish survives `kill -9` of the NATS server. The server is a private one (its
// own run dir and ports, started with scripts/servers/servers.sh, so with the very binary and
// nats.conf the shared one runs on); the shared server is not touched. A process kill leaves the
// OS page cache intact, so it cannot tell an fsync from a plain write: that the server fsyncs
// every write before acking (`sync_interval: always`) is checked on its /varz instead.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createNatsBus } from '@flywheel/bus';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { uniqueName, waitFor } from '@flywheel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamNameOf } from '../src/nats/nats-names.ts';

const run = promisify(execFile);
const serversScript = resolve(import.meta.dirname, '../../../scripts/servers/servers.sh');
const total = 300;

describe('JetStream keeps acknowledged events across kill -9 of the server (private nats-server)', () => {
  let runDir: string;
  let url: string;
  let monitorUrl: string;
  const servers = (...args: string[]) =>
    run(serversScript, args, { env: { ...process.env, FLYWHEEL_RUN_DIR: runDir }, timeout: 120_000 });
  const serverPid = async () => Number((await readFile(join(runDir, 'nats', 'pid'), 'utf8')).trim());
  /** The JetStream part of the running server's /varz. */
  const jetStreamConfig = async () => {
    const varz = (await (await fetch(`${monitorUrl}/varz`)).json()) as {
      server_id: string;
      jetstream: { config: { store_dir: string; sync_always?: boolean } };
    };
    return { serverId: varz.server_id, ...varz.jetstream.config };
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'flywheel-nats-kill-'));
    await servers('start', 'nats');
    const env = await readFile(join(runDir, 'servers.env'), 'utf8');
    const variable = (name: string): string => {
      const match = new RegExp(`${name}=(\\S+)`).exec(env);
      if (!match) throw new Error(`no ${name} in ${runDir}/servers.env:\n${env}`);
      return match[1]!;
    };
    url = variable('FLYWHEEL_NATS_URL');
    monitorUrl = variable('FLYWHEEL_NATS_MONITOR_URL');
  }, 150_000);

  afterAll(async () => {
    if (!runDir) return;
    await servers('clean', 'nats').catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
  }, 120_000);

  it('consumes every acknowledged event after the server was SIGKILLed and restarted', {
    timeout: 300_000,
  }, async () => {
    // Sync on write: every message is fsynced before its ack (2.9.x had no such setting).
    const before = await jetStreamConfig();
    expect(before.sync_always).toBe(true);

    const topic = uniqueName('kill.events');
    const publisher = createNatsBus({ url, defaultTimeoutMs: 10_000 });
    await publisher.ensureTopics([topic]);
    // The stream is file-backed (a memory stream could not survive anything).
    const nc = await connect({ servers: url, name: 'flywheel-test-raw' });
    const info = await (await jetstreamManager(nc)).streams.info(streamNameOf(topic));
    expect(info.config.storage).toBe('file');
    await nc.close();

    const pid = await serverPid();
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
    // Right after the last ack (the pid was read before publishing): no graceful shutdown, no
    // chance to flush anything.
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), { timeoutMs: 30_000, what: `nats-server ${pid} to die` });
    await publisher.close().catch(() => undefined);
    await servers('start', 'nats');
    // A new server process on the same store dir.
    expect(await serverPid()).not.toBe(pid);
    const after = await jetStreamConfig();
    expect(after.serverId).not.toBe(before.serverId);
    expect(after.store_dir).toBe(before.store_dir);

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
    expect(seen.size).toBe(total);
  });
});
