// Who may publish what, over real Kafka and NATS: events an outside system (kcat) puts on a topic
// with a forged or unlisted producer are dead-lettered with the reason and never handled; a
// signed event of the allowed producer is handled, acting as the consuming service on behalf of
// the principal that started it; the acting principal rides the wire on both brokers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEventAdmission,
  dlqHeaders,
  dlqTopicOf,
  type EventBus,
  handleEvents,
  readEventSecurityConfig,
} from '@flywheel/bus';
import { createKafkaBus } from '@flywheel/bus/kafka';
import { type ActingPrincipal, actingPrincipal, ConfigReader, runActingAs } from '@flywheel/core';
import {
  type CloudEvent,
  createEventSigner,
  principalExtensions,
  principalOfEvent,
  toWireMessage,
} from '@flywheel/events';
import {
  kcatConsumeAll,
  kcatHeaders,
  kcatProduceWire,
  realServers,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus } from '../src/nats/nats-bus.ts';
import { realNats } from './nats-test-harness.ts';

const servers = realServers();
const alice: ActingPrincipal = { subject: 'user:alice', teams: ['growth'] };

/** An event of `type` from `source`, made as `by` would make it (principal attributes included). */
function eventOf(type: string, source: string, by: ActingPrincipal, data: object): CloudEvent {
  return runActingAs(by, () => ({
    id: uniqueName('ev'),
    type,
    source,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: new TextEncoder().encode(JSON.stringify(data)),
    key: 'churn',
    extensions: principalExtensions(),
  }));
}

/** Publishes `event` in binary mode with kcat, as a system outside Flywheel would. */
function kcatPublish(event: CloudEvent): Promise<void> {
  return kcatProduceWire(servers.kafkaEnv, event.type, event.key, toWireMessage(event));
}

describe('producer allow-list and signatures (real Kafka, kcat as the outside producer)', () => {
  let bus: EventBus;
  let registryKey: Record<string, unknown>;
  let keysFile: string;
  beforeAll(async () => {
    bus = createKafkaBus({
      ...servers.kafka,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    });
    const dir = mkdtempSync(join(tmpdir(), 'fw-event-keys-'));
    const registry = await generateKeyPair('EdDSA', { extractable: true });
    registryKey = (await exportJWK(registry.privateKey)) as Record<string, unknown>;
    keysFile = join(dir, 'producers.jwks.json');
    writeFileSync(
      keysFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(registry.publicKey)), kid: 'flywheel/registry' }] }),
    );
  });
  afterAll(async () => {
    await bus.close();
  });

  it('dead-letters unlisted, unsigned, tampered and mis-signed events with the reason; handles the signed one as the service, on behalf of its originator', async () => {
    const topic = uniqueName('model.version-registered');
    await bus.ensureTopics([topic]);
    const reader = new ConfigReader({
      FLYWHEEL_EVENT_PRODUCERS: JSON.stringify({ [topic]: ['flywheel/registry'] }),
      FLYWHEEL_EVENT_KEYS_FILE: keysFile,
    });
    const admit = createEventAdmission(readEventSecurityConfig(reader, true))!;
    reader.done();

    const registry = createEventSigner('flywheel/registry', registryKey);
    const impostorKey = (await exportJWK(
      (
        await generateKeyPair('EdDSA', { extractable: true })
      ).privateKey,
    )) as Record<string, unknown>;
    const unlisted = eventOf(topic, 'kcat', alice, { model: 'churn' });
    const unsigned = eventOf(topic, 'flywheel/registry', alice, { model: 'churn' });
    const signed = registry.sign(eventOf(topic, 'flywheel/registry', alice, { model: 'churn', version: 2 }));
    const tampered = {
      ...registry.sign(eventOf(topic, 'flywheel/registry', alice, { model: 'churn' })),
      data: new TextEncoder().encode('{"model":"fraud"}'),
    };
    const misSigned = createEventSigner('flywheel/registry', impostorKey).sign(
      eventOf(topic, 'flywheel/registry', alice, { model: 'churn' }),
    );
    const forged = [unlisted, unsigned, tampered, misSigned];
    for (const event of [...forged, signed]) await kcatPublish(event);

    const handled: { event: CloudEvent; acting: ActingPrincipal | undefined }[] = [];
    const shutdown = new AbortController();
    const consuming = handleEvents(
      bus.subscribe({ topics: [topic], group: uniqueName('registry-consumer') }),
      async (event) => {
        handled.push({ event, acting: actingPrincipal() });
      },
      { signal: shutdown.signal, actingAs: 'service:scheduler', admit },
    );
    const letters = await waitFor(
      async () => {
        const records = await kcatConsumeAll(servers.kafkaEnv, dlqTopicOf(topic));
        return records.length >= forged.length && handled.length >= 1 ? records : false;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'four dead letters and one handled event' },
    );
    shutdown.abort();
    await consuming;

    expect(handled.map((h) => h.event.id)).toEqual([signed.id]);
    expect(principalOfEvent(handled[0]!.event)).toEqual(alice);
    expect(handled[0]!.acting).toEqual({ subject: 'service:scheduler', teams: [], onBehalfOf: 'user:alice' });

    const reasons = new Map(
      letters.map((r) => [kcatHeaders(r).ce_id, kcatHeaders(r)[dlqHeaders.reason] ?? '']),
    );
    expect(reasons.size).toBe(forged.length);
    expect(reasons.get(unlisted.id)).toMatch(
      /producer "kcat" may not publish .* \(allowed: flywheel\/registry\)/,
    );
    expect(reasons.get(unsigned.id)).toMatch(/no producersig signature/);
    expect(reasons.get(tampered.id)).toMatch(/signature does not verify/);
    expect(reasons.get(misSigned.id)).toMatch(/signature does not verify/);
    // Dead letters keep the original attributes: the audit trail shows who tried.
    expect(kcatHeaders(letters[0]!).ce_authid).toBe('user:alice');
  });

  it('without producer keys (security off) the allow-list checks the declared source only', async () => {
    const topic = uniqueName('model.alias-changed');
    await bus.ensureTopics([topic]);
    const reader = new ConfigReader({
      FLYWHEEL_EVENT_PRODUCERS: JSON.stringify({ [topic]: ['flywheel/registry'] }),
    });
    const admit = createEventAdmission(readEventSecurityConfig(reader, false))!;
    reader.done();
    const unlisted = eventOf(topic, 'urn:someone-else', alice, {});
    const listed = eventOf(topic, 'flywheel/registry', alice, {});
    for (const event of [unlisted, listed]) await kcatPublish(event);
    const handled: string[] = [];
    const shutdown = new AbortController();
    const consuming = handleEvents(
      bus.subscribe({ topics: [topic], group: uniqueName('g') }),
      async (event) => {
        handled.push(event.id);
      },
      { signal: shutdown.signal, admit },
    );
    const [letter] = await waitFor(
      async () => {
        const records = await kcatConsumeAll(servers.kafkaEnv, dlqTopicOf(topic));
        return records.length >= 1 && handled.length >= 1 ? records : false;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'one dead letter and one handled event' },
    );
    shutdown.abort();
    await consuming;
    expect(handled).toEqual([listed.id]);
    expect(kcatHeaders(letter!).ce_id).toBe(unlisted.id);
    expect(kcatHeaders(letter!)[dlqHeaders.reason]).toMatch(/producer "urn:someone-else" may not publish/);
  });
});

describe.each([
  ['Kafka', () => createKafkaBus({ ...servers.kafka, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 })],
  ['NATS JetStream', () => createNatsBus(realNats())],
])('the acting principal over %s', (_name, makeBus) => {
  it('rides as CloudEvents extension attributes from publisher to handler, signature intact', async () => {
    const bus: EventBus = makeBus();
    try {
      const topic = uniqueName('principal.carried');
      await bus.ensureTopics([topic]);
      const key = await generateKeyPair('ES256', { extractable: true });
      const signer = createEventSigner(
        'flywheel/registry',
        (await exportJWK(key.privateKey)) as Record<string, unknown>,
      );
      const jwks = { keys: [{ ...(await exportJWK(key.publicKey)), kid: 'flywheel/registry' }] };
      const dir = mkdtempSync(join(tmpdir(), 'fw-event-keys-'));
      writeFileSync(join(dir, 'keys.json'), JSON.stringify(jwks));
      const reader = new ConfigReader({
        FLYWHEEL_EVENT_PRODUCERS: JSON.stringify({ [topic]: ['flywheel/registry'] }),
        FLYWHEEL_EVENT_KEYS_FILE: join(dir, 'keys.json'),
      });
      const admit = createEventAdmission(readEventSecurityConfig(reader, true))!;
      reader.done();
      const chain: ActingPrincipal = { subject: 'service:orchestrator', teams: [], onBehalfOf: 'user:alice' };
      const event = signer.sign(eventOf(topic, 'flywheel/registry', chain, { model: 'churn' }));
      await bus.publish([event]);
      const seen: CloudEvent[] = [];
      const shutdown = new AbortController();
      const consuming = handleEvents(
        bus.subscribe({ topics: [topic], group: uniqueName('g') }),
        async (received) => {
          seen.push(received);
        },
        { signal: shutdown.signal, admit, actingAs: 'service:monitoring' },
      );
      await waitFor(async () => seen.length >= 1, { timeoutMs: 60_000, intervalMs: 200, what: 'the event' });
      shutdown.abort();
      await consuming;
      expect(seen[0]!.extensions).toMatchObject({
        authid: 'service:orchestrator',
        authtype: 'system',
        onbehalfof: 'user:alice',
      });
      expect(principalOfEvent(seen[0]!)).toEqual(chain);
    } finally {
      await bus.close();
    }
  });
});
