import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '@flywheel/core';
import { newEventId } from '@flywheel/events';
import { describe, expect, it } from 'vitest';
import { createEventBus, readBusConfig } from './create-event-bus.ts';
import type { MemoryBus } from './memory/memory-bus.ts';

const read = (env: Record<string, string>) => {
  const reader = new ConfigReader(env);
  const config = readBusConfig(reader);
  return { config, done: () => reader.done() };
};

describe('readBusConfig', () => {
  it('defaults to the embedded bus', () => {
    const { config, done } = read({});
    expect(config).toEqual({ kind: 'memory', retryBudgetMs: 15 * 60_000 });
    expect(done).not.toThrow();
  });

  it('reads Kafka brokers, partitions and session timeout (default 10 s)', () => {
    const { config, done } = read({
      FLYWHEEL_BUS: 'kafka',
      FLYWHEEL_KAFKA_BROKERS: '127.0.0.1:9092, kafka-2:9093',
      FLYWHEEL_KAFKA_PARTITIONS: '6',
      FLYWHEEL_KAFKA_SESSION_TIMEOUT: '45s',
    });
    done();
    expect(config).toEqual({
      kind: 'kafka',
      brokers: ['127.0.0.1:9092', 'kafka-2:9093'],
      numPartitions: 6,
      retryBudgetMs: 15 * 60_000,
      sessionTimeoutMs: 45_000,
      security: {},
    });
    expect(read({ FLYWHEEL_BUS: 'kafka', FLYWHEEL_KAFKA_BROKERS: 'k:9092' }).config).toMatchObject({
      sessionTimeoutMs: 10_000,
    });
  });

  it('reads TLS and SASL/SCRAM to Kafka: the CA file is read, SASL needs TLS, the password is never echoed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-bus-config-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const kafka = { FLYWHEEL_BUS: 'kafka', FLYWHEEL_KAFKA_BROKERS: 'k:9093' };
    const sasl = {
      FLYWHEEL_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      FLYWHEEL_KAFKA_SASL_USERNAME: 'svc',
      FLYWHEEL_KAFKA_SASL_PASSWORD: 'hunter2-secret',
    };
    const secured = read({ ...kafka, FLYWHEEL_KAFKA_TLS_CA: ca, ...sasl });
    secured.done();
    expect(secured.config).toMatchObject({
      security: {
        tls: { ca: expect.stringContaining('BEGIN CERTIFICATE') },
        sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2-secret' },
      },
    });
    expect(read({ ...kafka, FLYWHEEL_KAFKA_TLS: 'true' }).config).toMatchObject({ security: { tls: {} } });

    const inTheClear = read({ ...kafka, ...sasl });
    expect(inTheClear.done).toThrow(/FLYWHEEL_KAFKA_SASL_MECHANISM needs TLS/);
    const problems = [
      read({ ...kafka, FLYWHEEL_KAFKA_TLS_CA: join(dir, 'missing.pem') }),
      read({ ...kafka, FLYWHEEL_KAFKA_TLS: 'true', FLYWHEEL_KAFKA_SASL_MECHANISM: 'gssapi' }),
      read({ ...kafka, FLYWHEEL_KAFKA_TLS: 'true', FLYWHEEL_KAFKA_SASL_MECHANISM: 'scram-sha-256' }),
      read({ ...kafka, FLYWHEEL_KAFKA_TLS: 'true', FLYWHEEL_KAFKA_SASL_PASSWORD: 'hunter2-secret' }),
    ].map(({ done }) => {
      try {
        done();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(problems[0]).toMatch(/FLYWHEEL_KAFKA_TLS_CA cannot read .*missing\.pem/);
    expect(problems[1]).toMatch(
      /FLYWHEEL_KAFKA_SASL_MECHANISM must be one of scram-sha-512, scram-sha-256, plain/,
    );
    expect(problems[2]).toMatch(
      /FLYWHEEL_KAFKA_SASL_USERNAME is required[\s\S]*FLYWHEEL_KAFKA_SASL_PASSWORD is required/,
    );
    expect(problems[3]).toMatch(
      /FLYWHEEL_KAFKA_SASL_USERNAME is set but FLYWHEEL_KAFKA_SASL_MECHANISM is not/,
    );
    for (const message of problems) expect(message).not.toContain('hunter2-secret');
  });

  it('reads a NATS URL', () => {
    const { config, done } = read({ FLYWHEEL_BUS: 'nats', FLYWHEEL_NATS_URL: 'nats://127.0.0.1:4222' });
    done();
    expect(config).toEqual({
      kind: 'nats',
      url: 'nats://127.0.0.1:4222',
      security: {},
      retryBudgetMs: 15 * 60_000,
    });
  });

  it('reads NATS TLS (a CA file) and a user, and refuses a password in the clear without echoing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-nats-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const nats = { FLYWHEEL_BUS: 'nats', FLYWHEEL_NATS_URL: 'nats://127.0.0.1:4222' };
    const { config, done } = read({
      ...nats,
      FLYWHEEL_NATS_TLS_CA: ca,
      FLYWHEEL_NATS_USER: 'registry',
      FLYWHEEL_NATS_PASSWORD: 'hunter2-secret',
    });
    done();
    expect(config).toMatchObject({
      security: { tls: { ca: expect.stringContaining('BEGIN CERTIFICATE') }, user: { name: 'registry' } },
    });
    const problems = [
      () =>
        read({ ...nats, FLYWHEEL_NATS_USER: 'registry', FLYWHEEL_NATS_PASSWORD: 'hunter2-secret' }).done(),
      () => read({ ...nats, FLYWHEEL_NATS_TLS: 'true', FLYWHEEL_NATS_PASSWORD: 'hunter2-secret' }).done(),
      () =>
        read({
          ...nats,
          FLYWHEEL_NATS_TLS: 'true',
          FLYWHEEL_NATS_USER: 'a.b',
          FLYWHEEL_NATS_PASSWORD: 'hunter2-secret',
        }).done(),
      () => read({ ...nats, FLYWHEEL_NATS_TLS_CA: join(dir, 'missing.pem') }).done(),
    ].map((attempt) => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(problems[0]).toMatch(/FLYWHEEL_NATS_USER needs TLS/);
    expect(problems[1]).toMatch(/FLYWHEEL_NATS_USER is required/);
    expect(problems[2]).toMatch(/FLYWHEEL_NATS_USER must be letters/);
    expect(problems[3]).toMatch(/FLYWHEEL_NATS_TLS_CA cannot read/);
    for (const message of problems) expect(message).not.toContain('hunter2-secret');
  });

  it('reads the retry budget of subscriptions, a duration', () => {
    const { config, done } = read({ FLYWHEEL_BUS_RETRY_BUDGET: '90s' });
    done();
    expect(config).toEqual({ kind: 'memory', retryBudgetMs: 90_000 });
    expect(() => read({ FLYWHEEL_BUS_RETRY_BUDGET: 'soon' }).done()).toThrow(
      /FLYWHEEL_BUS_RETRY_BUDGET must be a duration/,
    );
  });

  it('reads the topic prefix (none by default), which must end in a dot', () => {
    for (const kind of ['memory', 'kafka', 'nats']) {
      const { config, done } = read({
        FLYWHEEL_BUS: kind,
        FLYWHEEL_KAFKA_BROKERS: 'k:9092',
        FLYWHEEL_NATS_URL: 'nats://n:4222',
        FLYWHEEL_TOPIC_PREFIX: 'staging.eu-1.',
      });
      done();
      expect(config.topicPrefix).toBe('staging.eu-1.');
    }
    expect(read({}).config.topicPrefix).toBeUndefined();
    for (const bad of ['staging', 'staging_', 'a b.', '.', 'a..', `${'x'.repeat(100)}.`]) {
      expect(() => read({ FLYWHEEL_TOPIC_PREFIX: bad }).done()).toThrow(
        `FLYWHEEL_TOPIC_PREFIX must be letters, digits, "-" and "." ending in "." (e.g. "staging."), up to 100, got "${bad}"`,
      );
    }
  });

  it('names every missing or malformed variable at once', () => {
    expect(() => read({ FLYWHEEL_BUS: 'kafka' }).done()).toThrow(
      /FLYWHEEL_KAFKA_BROKERS is required when FLYWHEEL_BUS=kafka/,
    );
    const both = () =>
      read({
        FLYWHEEL_BUS: 'kafka',
        FLYWHEEL_KAFKA_BROKERS: 'no-port',
        FLYWHEEL_KAFKA_PARTITIONS: '0',
        FLYWHEEL_KAFKA_SESSION_TIMEOUT: '1s',
      }).done();
    expect(both).toThrow(/FLYWHEEL_KAFKA_BROKERS must be host:port entries, got "no-port"/);
    expect(both).toThrow(/FLYWHEEL_KAFKA_PARTITIONS must be an integer from 1 to 10000/);
    expect(both).toThrow(/FLYWHEEL_KAFKA_SESSION_TIMEOUT must be from 6s to 5m/);
    expect(() => read({ FLYWHEEL_BUS: 'nats', FLYWHEEL_NATS_URL: 'http://x:1' }).done()).toThrow(
      /FLYWHEEL_NATS_URL must be nats:\/\/host:port/,
    );
    expect(() => read({ FLYWHEEL_BUS: 'rabbit' }).done()).toThrow(
      /FLYWHEEL_BUS must be one of memory, kafka, nats, got "rabbit"/,
    );
  });
});

describe('createEventBus', () => {
  it('puts the topic prefix before the topics on the broker, not in the events', async () => {
    const bus = (await createEventBus({ kind: 'memory', topicPrefix: 'staging.' })) as MemoryBus;
    const subscription = bus.subscribe({ topics: ['config.checked'], group: 'g' });
    await bus.publish([
      {
        id: newEventId(),
        type: 'config.checked',
        source: 'test',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: new Uint8Array(),
        key: 'k',
      },
    ]);
    expect(bus.retained('staging.config.checked')).toHaveLength(1);
    expect(bus.retained('config.checked')).toHaveLength(0);
    const { value } = await subscription[Symbol.asyncIterator]().next();
    expect([value?.topic, value?.event.type]).toEqual(['config.checked', 'config.checked']);
    await value?.ack();
    await bus.close();
  });

  it('builds the embedded bus from its config', async () => {
    const bus = await createEventBus({ kind: 'memory' });
    const subscription = bus.subscribe({ topics: ['config.checked'], group: 'g' });
    const id = newEventId();
    await bus.publish([
      {
        id,
        type: 'config.checked',
        source: 'test',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: new Uint8Array(),
        key: 'k',
      },
    ]);
    const iterator = subscription[Symbol.asyncIterator]();
    const { value } = await iterator.next();
    expect(value?.event.id).toBe(id);
    await value?.ack();
    await bus.close();
  });
});
