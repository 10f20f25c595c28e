// NATS secured like Kafka, on a real nats-server of the test's own (scripts/servers/servers.sh in
// a private run dir, TLS with the script's test CA): each service connects as its own NATS user
// with the permissions scripts/nats-permissions.ts writes from the platform's tables (the same
// derivation as the Kafka ACLs), for this run's topic prefix. A service publishes what it owns and
// consumes what it reads; anything else is refused PERMISSION_DENIED naming the subject, at once
// and not retried; a client without TLS, with another CA or a wrong password is refused.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeadLetterQueue, createEventBus, type EventBus, readBusConfig } from '@flywheel/bus';
import { AppError, ConfigReader } from '@flywheel/core';
import { type CloudEvent, eventTypes, newEventId } from '@flywheel/events';
import { runNatsPermissionsCommand } from '@flywheel/platform/nats-permissions-command';
import {
  makeTestCertificates,
  type PrivateServer,
  startPrivateServer,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { jetstream } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const prefix = `${uniqueName('natsperm')}.`;
const services = ['scheduler', 'orchestrator', 'registry', 'feature-store', 'serving', 'monitoring'];
const secret = (): string => randomBytes(20).toString('hex');
const passwords: Record<string, string> = Object.fromEntries(
  ['flywheel', 'labelling', ...services].map((user) => [user, secret()]),
);

const event = (type: string, source: string): CloudEvent => ({
  id: newEventId(),
  type,
  source,
  time: new Date().toISOString(),
  datacontenttype: 'text/plain',
  data: new TextEncoder().encode('hello'),
  key: 'k',
});

async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => AppError.from(e),
  );
  expect(error, 'the call was allowed').toBeInstanceOf(AppError);
  return error as AppError;
}

describe('NATS per-service users and permissions (real nats-server, TLS)', () => {
  let nats: PrivateServer;
  let natsEnv: Record<string, string>;
  let printed: string[];
  const buses: EventBus[] = [];
  const configAs = (user: string, overrides: Record<string, string> = {}) => {
    const reader = new ConfigReader({
      ...natsEnv,
      FLYWHEEL_BUS: 'nats',
      FLYWHEEL_TOPIC_PREFIX: prefix,
      FLYWHEEL_NATS_USER: user,
      FLYWHEEL_NATS_PASSWORD: passwords[user] ?? 'not-a-password',
      ...overrides,
    });
    const config = readBusConfig(reader);
    reader.done();
    return config;
  };
  const busAs = async (user: string, overrides: Record<string, string> = {}): Promise<EventBus> => {
    const bus = await createEventBus(configAs(user, overrides));
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-nats-perm-'));
    const passwordsFile = join(dir, 'passwords');
    writeFileSync(
      passwordsFile,
      Object.entries(passwords)
        .map(([user, password]) => `${user}=${password}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const authorization = join(dir, 'authorization.conf');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runNatsPermissionsCommand(
      [
        '--passwords',
        passwordsFile,
        '--out',
        authorization,
        '--super-user',
        'flywheel',
        // An outside producer: labelling publishes ground-truth.received.
        '--producer',
        'ground-truth.received=labelling',
      ],
      { FLYWHEEL_TOPIC_PREFIX: prefix },
      { out: (line) => out.push(line), err: (line) => err.push(line) },
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    printed = out;
    // The server runs the very file the script wrote, with the test user as its super user.
    nats = await startPrivateServer('nats', {
      env: {
        FLYWHEEL_NATS_AUTHORIZATION: authorization,
        FLYWHEEL_NATS_USER: 'flywheel',
        FLYWHEEL_NATS_PASSWORD: passwords.flywheel!,
      },
    });
    natsEnv = Object.fromEntries(
      Object.entries(nats.env).filter(
        ([name]) => name.startsWith('FLYWHEEL_NATS_') && !name.endsWith('MONITOR_URL'),
      ),
    );
    // Every service ensures every event type's stream at start-up; here the test user does.
    const admin = await busAs('flywheel');
    await admin.ensureTopics(eventTypes(), { timeoutMs: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close().catch(() => undefined)));
    await nats?.clean();
  }, 120_000);

  it('prints what it grants, from the producer allow-list and the consumed events, under the run prefix', () => {
    expect(printed).toContain(`registry publish flywheel.${prefix}model.version-registered`);
    expect(printed).not.toContain(`registry publish flywheel.${prefix}drift.detected`);
    expect(printed).toContain(`monitoring publish flywheel.${prefix}model.version-registered.dlq`);
    const stream = `${prefix}model.version-registered`.replaceAll('.', '_');
    expect(printed).toContain(`monitoring publish $JS.API.CONSUMER.MSG.NEXT.${stream}.*`);
    expect(printed).toContain('monitoring subscribe _INBOX_monitoring.>');
    expect(printed.at(-1)).toMatch(/^wrote 8 NATS user\(s\) to .*authorization\.conf$/);
  });

  it('lets a service publish what it owns and another consume what it reads (and dead-letter it)', async () => {
    const registry = await busAs('registry');
    const monitoring = await busAs('monitoring');
    const subscription = monitoring.subscribe({
      topics: ['model.version-registered'],
      group: 'monitoring-profiles',
    });
    await subscription.ready({ timeoutMs: 90_000 });
    const sent = event('model.version-registered', 'flywheel/registry');
    await registry.publish([sent], { timeoutMs: 60_000 });
    const iterator = subscription[Symbol.asyncIterator]();
    const { value: delivery } = await iterator.next();
    expect(delivery?.event.id).toBe(sent.id);
    // A poison event goes to the topic's .dlq, which the consumer may publish to.
    await delivery?.nack(new AppError('invalid_argument', 'poison for the test'));
    const queue = await createDeadLetterQueue(configAs('flywheel'));
    const letters = await waitFor(
      async () => {
        const listed = await queue.list('model.version-registered', { timeoutMs: 30_000 });
        return listed.length > 0 ? listed : undefined;
      },
      { what: 'the dead letter on the .dlq', timeoutMs: 60_000 },
    );
    expect(letters.length).toBe(1);
    await subscription.close();
  }, 180_000);

  it("refuses a service publishing another's event type: PERMISSION_DENIED naming the subject, not retried", async () => {
    const registry = await busAs('registry');
    const error = await refusal(
      registry.publish([event('drift.detected', 'flywheel/registry')], { timeoutMs: 60_000 }),
    );
    expect(error.code).toBe('permission_denied');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`flywheel.${prefix}drift.detected`);
    // Its own topics still publish on the same connection.
    await registry.publish([event('model.alias-changed', 'flywheel/registry')], { timeoutMs: 60_000 });
  }, 120_000);

  it('refuses reading a stream the service does not consume: ready() says PERMISSION_DENIED naming the topic', async () => {
    const registry = await busAs('registry');
    const subscription = registry.subscribe({ topics: ['prediction.logged'], group: 'registry-snoop' });
    // Without the refusal surfaced, ready() would wait out this deadline and say `unavailable`.
    const error = await refusal(subscription.ready({ timeoutMs: 90_000 }));
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain('prediction.logged');
    expect(error.message).toContain(`$JS.API.CONSUMER.`);
    await subscription.close();
  }, 120_000);

  it('refuses a wrong password (UNAUTHENTICATED) and a server certificate of another CA (FAILED_PRECONDITION)', async () => {
    const wrong = await busAs('registry', { FLYWHEEL_NATS_PASSWORD: secret() });
    const denied = await refusal(wrong.ensureTopics(['model.alias-changed'], { timeoutMs: 60_000 }));
    expect(denied.code).toBe('unauthenticated');
    expect(denied.retriable).toBe(false);

    const other = await makeTestCertificates(mkdtempSync(join(tmpdir(), 'flywheel-nats-other-ca-')), []);
    const untrusting = await busAs('registry', { FLYWHEEL_NATS_TLS_CA: other.otherCa });
    const untrusted = await refusal(untrusting.ensureTopics(['model.alias-changed'], { timeoutMs: 60_000 }));
    expect(untrusted.code).toBe('failed_precondition');
    expect(untrusted.retriable).toBe(false);
    for (const message of [denied.message, untrusted.message])
      for (const password of Object.values(passwords)) expect(message).not.toContain(password);
  }, 120_000);

  it('refuses a client that speaks plain text: the server demands TLS before CONNECT', async () => {
    const port = Number(new URL(natsEnv.FLYWHEEL_NATS_URL!).port);
    const answer = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connectTcp(port, '127.0.0.1');
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
        if (received.startsWith('INFO') && received.includes('\r\n') && !received.includes('CONNECT-SENT')) {
          received += 'CONNECT-SENT\n';
          socket.write(
            `CONNECT ${JSON.stringify({ verbose: false, user: 'flywheel', pass: passwords.flywheel })}\r\nPING\r\n`,
          );
        }
      });
      socket.on('close', () => resolve(received)); // closed by the server
      socket.on('error', () => resolve(received));
      socket.setTimeout(30_000, () => {
        socket.destroy();
        reject(new Error(`no answer within 30 s; got ${received}`));
      });
    });
    // The server announced TLS as required, then closed the connection on the plain-text CONNECT
    // without a word (it was waiting for a TLS handshake): no PONG, the client never got in.
    expect(answer).toMatch(/"tls_required":true/);
    expect(answer).toMatch(/CONNECT-SENT\n$/);
  }, 60_000);

  it("an outside producer publishes its topic and nothing else; no user reads another's inbox", async () => {
    // The labelling job is a plain nats.js client (not Flywheel), as its declared user.
    const ca = readFileSync(natsEnv.FLYWHEEL_NATS_TLS_CA!, 'utf8');
    const connectAs = (user: string): Promise<NatsConnection> =>
      connectNats({
        servers: natsEnv.FLYWHEEL_NATS_URL!,
        tls: { ca },
        user,
        pass: passwords[user]!,
        inboxPrefix: `_INBOX_${user}`,
      });
    const labelling = await connectAs('labelling');
    try {
      const js = jetstream(labelling);
      const ack = await js.publish(`flywheel.${prefix}ground-truth.received`, 'label 1');
      expect(ack.stream).toBe(`${prefix}ground-truth.received`.replaceAll('.', '_'));
      await expect(js.publish(`flywheel.${prefix}dataset.arrived`, 'x')).rejects.toThrow(
        `Permissions Violation for Publish to "flywheel.${prefix}dataset.arrived"`,
      );
    } finally {
      await labelling.close();
    }
    // Replies (publish acks, pulled messages) go to the requester's inbox: another user's is refused.
    const registry = await connectAs('registry');
    try {
      const snoop = registry.subscribe('_INBOX_monitoring.>');
      await expect(snoop.closed).resolves.toMatchObject({ name: 'PermissionViolationError' });
    } finally {
      await registry.close();
    }
  }, 120_000);
});
