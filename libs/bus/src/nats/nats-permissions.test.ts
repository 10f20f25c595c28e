import { describe, expect, it } from 'vitest';
import { describeNatsPermissions, natsAuthorizationConfig, planNatsPermissions } from './nats-permissions.ts';

describe('planNatsPermissions', () => {
  const plan = planNatsPermissions({
    services: [
      { service: 'registry', principal: 'registry', produces: ['model.version-registered'], consumes: [] },
      {
        service: 'monitoring',
        principal: 'svc-monitoring',
        produces: ['drift.detected'],
        consumes: ['model.version-registered'],
      },
    ],
    creates: ['model.version-registered', 'drift.detected'],
    topicPrefix: 'staging.',
    outsideProducers: [{ principal: 'ingest', topic: 'dataset.arrived' }],
  });
  const of = (user: string) => plan.find((entry) => entry.user === user)!;

  it('lets a producer publish its subjects and consume nothing', () => {
    const registry = of('registry');
    expect(registry.publish).toContain('flywheel.staging.model.version-registered');
    expect(registry.publish).not.toContain('flywheel.staging.drift.detected');
    expect(
      registry.publish.filter((subject) => subject.includes('CONSUMER') || subject.startsWith('$JS.ACK')),
    ).toEqual([]);
    expect(registry.subscribe).toEqual(['_INBOX_registry.>']);
  });

  it('lets a consumer pull and ack the streams it reads only, and dead-letter to their .dlq', () => {
    const monitoring = of('svc-monitoring');
    expect(monitoring.publish).toEqual(
      expect.arrayContaining([
        'flywheel.staging.drift.detected',
        'flywheel.staging.model.version-registered.dlq',
        '$JS.API.CONSUMER.CREATE.staging_model_version-registered.*',
        '$JS.API.CONSUMER.MSG.NEXT.staging_model_version-registered.*',
        '$JS.ACK.staging_model_version-registered.>',
        '$JS.API.STREAM.CREATE.staging_drift_detected_dlq',
      ]),
    );
    expect(monitoring.publish.some((subject) => subject.includes('staging_drift_detected.*'))).toBe(false);
    // No full wildcard but its own acks: nothing reaches past what the tables name.
    expect(monitoring.publish.filter((subject) => subject.endsWith('>'))).toEqual([
      '$JS.ACK.staging_model_version-registered.>',
    ]);
    expect(monitoring.subscribe).toEqual(['_INBOX_svc-monitoring.>']);
  });

  it('gives an outside producer its subject and its inbox, nothing else', () => {
    expect(of('ingest')).toEqual({
      service: 'outside',
      user: 'ingest',
      publish: ['flywheel.staging.dataset.arrived'],
      subscribe: ['_INBOX_ingest.>'],
    });
  });

  it('renders a nats-server authorization block with the passwords and prints no password', () => {
    const config = natsAuthorizationConfig(plan, (user) => `pw-${user}`, { admin: 'pw-admin' });
    expect(config).toContain('{ user: "admin", password: "pw-admin" }');
    expect(config).toContain('{ user: "ingest", password: "pw-ingest", permissions: {');
    expect(config).toContain('subscribe: { allow: ["_INBOX_ingest.>"] }');
    expect(describeNatsPermissions(plan).join('\n')).not.toContain('pw-');
  });
});
