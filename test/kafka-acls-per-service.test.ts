// Kafka authorization per service, on the real broker of the test command (StandardAuthorizer, one
// SCRAM user per service, scripts/servers/servers.sh): the ACLs scripts/kafka-acls.ts grants from
// the platform's tables, for this run's topic prefix, let a service publish what it owns and
// consume what it reads; anything else is refused PERMISSION_DENIED naming the topic or group,
// at once and not retried.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaBus, type KafkaBus } from '@flywheel/bus/kafka';
import { AppError } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import { eventTypes, newEventId } from '@flywheel/events';
import { runKafkaAclsCommand } from '@flywheel/platform/kafka-acls-command';
import {
  kafkaEnvAsService,
  kafkaSettingsOf,
  kcatConsumeAll,
  kcatProduce,
  realServers,
  uniqueName,
  waitFor,
} from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const servers = realServers();
const prefix = `${uniqueName('acl')}.`;
const groupPrefix = prefix.replaceAll('.', '-');
const env = { ...servers.kafkaEnv, FLYWHEEL_TOPIC_PREFIX: prefix };

const event = (type: string, source: string): CloudEvent => ({
  id: newEventId(),
  type,
  source,
  time: new Date().toISOString(),
  datacontenttype: 'text/plain',
  data: new TextEncoder().encode('hello'),
  key: 'k',
});

async function command(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKafkaAclsCommand(args, env, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => AppError.from(e),
  );
  expect(error, 'the call was allowed').toBeInstanceOf(AppError);
  return error as AppError;
}

describe('Kafka ACLs per service (real broker with the StandardAuthorizer)', () => {
  const buses: KafkaBus[] = [];
  const busAs = (service: string): KafkaBus => {
    const bus = createKafkaBus({
      ...kafkaSettingsOf(kafkaEnvAsService(process.env, service)),
      clientId: uniqueName(service),
      topicPrefix: prefix,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    // The topics exist before the services publish, as every service's start-up ensures them
    // (here by the test user, which is a super user).
    const admin = createKafkaBus({ ...servers.kafka, topicPrefix: prefix });
    await waitFor(
      () =>
        admin.ensureTopics(eventTypes(), { timeoutMs: 60_000 }).then(
          () => true,
          () => undefined,
        ),
      { what: 'the topics of this run', timeoutMs: 120_000 },
    );
    await admin.close();
    const granted = await command();
    expect(granted.err).toEqual([]);
    expect(granted.code).toBe(0);
    // What it prints is what it grants: the registry writes what it owns, under this run's prefix.
    expect(granted.out).toContain(
      `User:registry topic WRITE: ${prefix}model.alias-changed, ${prefix}model.version-registered`,
    );
    expect(granted.out).toContain(`User:monitoring group READ: ${groupPrefix}monitoring* (prefix)`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    expect((await command('--revoke')).code).toBe(0);
  }, 120_000);

  it('grants idempotently: running the script again changes nothing and succeeds', async () => {
    const again = await command();
    expect(again.code).toBe(0);
    expect(again.out.at(-1)).toMatch(/^granted \d+ ACL\(s\)/);
  }, 120_000);

  it('lets a service publish what it owns and another consume what it reads (and dead-letter it)', async () => {
    const registry = busAs('registry');
    const monitoring = busAs('monitoring');
    const subscription = monitoring.subscribe({
      topics: ['model.version-registered'],
      group: `${groupPrefix}monitoring-profiles`,
    });
    await subscription.ready({ timeoutMs: 90_000 });
    const sent = event('model.version-registered', 'flywheel/registry');
    await registry.publish([sent], { timeoutMs: 60_000 });
    const iterator = subscription[Symbol.asyncIterator]();
    const { value: delivery } = await iterator.next();
    expect(delivery?.event.id).toBe(sent.id);
    // A poison event goes to the topic's .dlq, which the consumer may write.
    await delivery?.nack(new AppError('invalid_argument', 'poison for the test'));
    const letters = await waitFor(
      async () => {
        const records = await kcatConsumeAll(servers.kafkaEnv, `${prefix}model.version-registered.dlq`);
        return records.length > 0 ? records : undefined;
      },
      { what: 'the dead letter on the .dlq', timeoutMs: 60_000 },
    );
    expect(letters.length).toBe(1);
    await subscription.close();
  }, 180_000);

  it("refuses a service publishing another's event type: PERMISSION_DENIED naming the topic, not retried", async () => {
    const registry = busAs('registry');
    const error = await refusal(
      registry.publish([event('drift.detected', 'flywheel/registry')], { timeoutMs: 60_000 }),
    );
    expect(error.code).toBe('permission_denied');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`${prefix}drift.detected`);
    // Its own topics still publish through the same producer.
    await registry.publish([event('model.alias-changed', 'flywheel/registry')], { timeoutMs: 60_000 });
  }, 120_000);

  it("refuses joining another service's consumer group: PERMISSION_DENIED naming the group", async () => {
    const monitoring = busAs('monitoring');
    const subscription = monitoring.subscribe({
      topics: ['model.alias-changed'],
      group: `${groupPrefix}serving.replica-1`,
    });
    // Without the refusal surfaced, ready() would wait out this deadline and say `unavailable`.
    const error = await refusal(subscription.ready({ timeoutMs: 90_000 }));
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain(`${groupPrefix}serving.replica-1`);
    await subscription.close();
  }, 120_000);

  it('refuses reading a topic the service does not consume, in its own group: PERMISSION_DENIED naming the topic', async () => {
    const registry = busAs('registry');
    const subscription = registry.subscribe({
      topics: ['prediction.logged'],
      group: `${groupPrefix}registry-snoop`,
    });
    // No fetch is allowed, so the member never becomes ready: the refusal is what ready() says.
    const error = await refusal(subscription.ready({ timeoutMs: 90_000 }));
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain(`${prefix}prediction.logged`);
    await subscription.close();
  }, 120_000);
});

describe('kafka-acls flags on the real broker: --principal, --stream-topic, --producer/--producers', () => {
  // A prefix of its own, so these grants do not mix with the ones above.
  const prefix2 = `${uniqueName('aclflags')}.`;
  const groupPrefix2 = prefix2.replaceAll('.', '-');
  const triggerTopic = 'acme.orders';
  // The outside topic trigger rules may read: the scheduler's setting is also the grants' input.
  const env2 = {
    ...servers.kafkaEnv,
    FLYWHEEL_TOPIC_PREFIX: prefix2,
    FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: triggerTopic,
  };
  const streamTopic = 'weather.readings';
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-acl-producers-'));
  const producersFile = join(dir, 'producers.json');
  // The broker has SCRAM users for the six services only: orchestrator and monitoring stand in for
  // outside systems (a sensor feed, a labelling job); their own grants allow neither write.
  writeFileSync(producersFile, JSON.stringify({ 'ground-truth.received': ['User:monitoring'] }));
  const flags = [
    '--principal',
    'registry=User:serving',
    '--stream-topic',
    streamTopic,
    '--producer',
    `${streamTopic}=User:orchestrator`,
    '--producer',
    `${triggerTopic}=User:orchestrator`,
    '--producers',
    producersFile,
  ];
  const buses: KafkaBus[] = [];
  const busAs = (service: string): KafkaBus => {
    const bus = createKafkaBus({
      ...kafkaSettingsOf(kafkaEnvAsService(process.env, service)),
      clientId: uniqueName(service),
      topicPrefix: prefix2,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    });
    buses.push(bus);
    return bus;
  };
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKafkaAclsCommand(args, env2, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out, err };
  };

  beforeAll(async () => {
    const admin = createKafkaBus({ ...servers.kafka, topicPrefix: prefix2 });
    await waitFor(
      () =>
        admin.ensureTopics([...eventTypes(), streamTopic, triggerTopic], { timeoutMs: 60_000 }).then(
          () => true,
          () => undefined,
        ),
      { what: 'the topics of this run', timeoutMs: 120_000 },
    );
    await admin.close();
    const granted = await run(...flags);
    expect(granted.err).toEqual([]);
    expect(granted.code).toBe(0);
    // --principal: the registry's grants are serving's principal's (besides serving's own).
    const servingWrites = granted.out.find((line) => line.startsWith('User:serving topic WRITE:'));
    expect(servingWrites).toContain(`${prefix2}model.version-registered`);
    expect(granted.out.some((line) => line.startsWith('User:registry '))).toBe(false);
    const orchestratorWrites = granted.out.find((line) => line.startsWith('User:orchestrator topic WRITE:'));
    expect(orchestratorWrites).toContain(`${prefix2}${streamTopic}`);
    const monitoringWrites = granted.out.find((line) => line.startsWith('User:monitoring topic WRITE:'));
    expect(monitoringWrites).toContain(`${prefix2}ground-truth.received`);
    expect(monitoringWrites).not.toContain(`${prefix2}dataset.arrived`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    expect((await run('--revoke', ...flags)).code).toBe(0);
  }, 120_000);

  it("--principal moves a service's grants to another principal: it publishes the service's types, the default one nothing", async () => {
    await busAs('serving').publish([event('model.version-registered', 'flywheel/registry')], {
      timeoutMs: 60_000,
    });
    const error = await refusal(
      busAs('registry').publish([event('model.version-registered', 'flywheel/registry')], {
        timeoutMs: 60_000,
      }),
    );
    expect(error.code).toBe('permission_denied');
    expect(error.message).toContain(`${prefix2}model.version-registered`);
  }, 120_000);

  it('--stream-topic lets the feature store read a stream topic its declared --producer writes; others may not write it', async () => {
    const subscription = busAs('feature-store').subscribe({
      topics: [streamTopic],
      group: `${groupPrefix2}feature-store.stream.readings`,
      records: 'raw',
    });
    await subscription.ready({ timeoutMs: 90_000 });
    // The outside system is kcat (librdkafka, not Flywheel) as its declared principal.
    await kcatProduce(
      kafkaEnvAsService(process.env, 'orchestrator'),
      `${prefix2}${streamTopic}`,
      'station-1',
      '{"t":21.5}',
      {},
    );
    const { value: delivery } = await subscription[Symbol.asyncIterator]().next();
    expect(new TextDecoder().decode(delivery?.event.data)).toBe('{"t":21.5}');
    await delivery?.ack();
    await subscription.close();
    // A principal not declared as its producer may not write it.
    await expect(
      kcatProduce(kafkaEnvAsService(process.env, 'scheduler'), `${prefix2}${streamTopic}`, 'k', 'x', {}),
    ).rejects.toThrow(/authoriz/i);
  }, 180_000);

  it('FLYWHEEL_SCHEDULER_TRIGGER_TOPICS lets the scheduler read an outside topic for trigger rules; the feature store may not', async () => {
    const subscription = busAs('scheduler').subscribe({
      topics: [triggerTopic],
      group: `${groupPrefix2}scheduler.topic.${triggerTopic}`,
      records: 'any',
    });
    await subscription.ready({ timeoutMs: 90_000 });
    await kcatProduce(
      kafkaEnvAsService(process.env, 'orchestrator'),
      `${prefix2}${triggerTopic}`,
      'order-1',
      '{"total":42}',
      {},
    );
    const { value: delivery } = await subscription[Symbol.asyncIterator]().next();
    expect(new TextDecoder().decode(delivery?.event.data)).toBe('{"total":42}');
    await delivery?.ack();
    await subscription.close();
    const refused = busAs('feature-store').subscribe({
      topics: [triggerTopic],
      group: `${groupPrefix2}feature-store.orders`,
      records: 'any',
    });
    const error = await refusal(refused.ready({ timeoutMs: 90_000 }));
    expect(error.code).toBe('permission_denied');
    await refused.close();
  }, 180_000);

  it('--producers (a file) grants an outside producer its topic and only that one', async () => {
    // The labelling job is kcat as the principal the file declares for ground-truth.received.
    const labelling = kafkaEnvAsService(process.env, 'monitoring');
    await kcatProduce(labelling, `${prefix2}ground-truth.received`, 'k', '{"label":1}', {});
    const written = await waitFor(
      async () => {
        const records = await kcatConsumeAll(servers.kafkaEnv, `${prefix2}ground-truth.received`);
        return records.length > 0 ? records : undefined;
      },
      { what: "the outside producer's record", timeoutMs: 60_000 },
    );
    expect(written.length).toBe(1);
    // Only that topic: dataset.arrived has no producer declared for it.
    await expect(kcatProduce(labelling, `${prefix2}dataset.arrived`, 'k', 'x', {})).rejects.toThrow(
      /authoriz/i,
    );
  }, 120_000);

  it('refuses an outside producer of a topic that is neither an event type nor a stream topic (usage errors exit 1 or 2)', async () => {
    expect((await run('--dry-run', '--producer', 'not.a-topic=User:x')).code).toBe(1);
    expect((await run('--dry-run', '--producer', 'dataset.arrived=ingest')).code).toBe(2);
  });
});
