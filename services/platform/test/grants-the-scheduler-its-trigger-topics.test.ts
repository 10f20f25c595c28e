// The broker grants follow FLYWHEEL_SCHEDULER_TRIGGER_TOPICS, the setting that also bounds which
// outside topics trigger rules may name: one list, read where the scheduler reads it.
import { describe, expect, it } from 'vitest';
import { kafkaAclsFor, runKafkaAclsCommand } from '../src/kafka-acls-command.ts';
import { natsPermissionsFor } from '../src/nats-permissions-command.ts';

const env = { FLYWHEEL_KAFKA_BROKERS: '127.0.0.1:9092', FLYWHEEL_TOPIC_PREFIX: 'staging.' };

describe('grants for the outside topics trigger rules read', () => {
  it('Kafka: the scheduler reads each listed topic and dead-letters to its .dlq; an outside producer may write it', () => {
    const { grants } = kafkaAclsFor(
      { ...env, FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: 'acme.orders, acme.shipments' },
      { outsideProducers: [{ topic: 'acme.orders', principal: 'User:acme' }] },
    );
    const of = (principal: string, operation: string) =>
      grants
        .filter(
          (g) => g.principal === principal && g.operation === operation && g.name.startsWith('staging.acme'),
        )
        .map((g) => g.name);
    expect(of('User:scheduler', 'READ')).toEqual(['staging.acme.orders', 'staging.acme.shipments']);
    expect(of('User:scheduler', 'WRITE')).toEqual(['staging.acme.orders.dlq', 'staging.acme.shipments.dlq']);
    expect(of('User:acme', 'WRITE')).toEqual(['staging.acme.orders']);
    expect(of('User:feature-store', 'READ')).toEqual([]);
  });

  it('unset: no outside topic is granted', () => {
    const { grants } = kafkaAclsFor(env);
    expect(grants.filter((g) => g.name.includes('acme'))).toEqual([]);
  });

  it('refuses a prefix entry: grants are per topic', async () => {
    const err: string[] = [];
    const code = await runKafkaAclsCommand(
      ['--dry-run'],
      { ...env, FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: 'acme.*' },
      { out: () => {}, err: (line) => err.push(line) },
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('FLYWHEEL_SCHEDULER_TRIGGER_TOPICS broker grants are per topic');
  });

  it('NATS: the scheduler may consume the listed topic from the same setting', () => {
    const permissions = natsPermissionsFor({ ...env, FLYWHEEL_SCHEDULER_TRIGGER_TOPICS: 'acme.orders' });
    const scheduler = permissions.find((p) => p.service === 'scheduler');
    expect(scheduler?.publish).toContain('$JS.API.CONSUMER.CREATE.staging_acme_orders.*');
    expect(permissions.find((p) => p.service === 'registry')?.publish.join(' ')).not.toContain('acme');
  });
});
