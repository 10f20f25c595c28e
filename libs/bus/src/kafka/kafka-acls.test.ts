import { describe, expect, it } from 'vitest';
import { describeKafkaAcls, planKafkaAcls, producedTopicsOf } from './kafka-acls.ts';

describe('planKafkaAcls', () => {
  const grants = planKafkaAcls({
    services: [
      { service: 'registry', principal: 'User:registry', produces: ['model.alias-changed'], consumes: [] },
      { service: 'serving', principal: 'User:serving', produces: [], consumes: ['model.alias-changed'] },
    ],
    creates: ['model.alias-changed'],
    topicPrefix: 'staging.',
    groupPrefix: 'staging-',
  });
  const of = (principal: string) =>
    grants
      .filter((grant) => grant.principal === principal)
      .map((g) => `${g.resource} ${g.operation} ${g.name}`);

  it('lets the producer write its topic under the prefix, and nothing to read', () => {
    expect(of('User:registry')).toContain('topic WRITE staging.model.alias-changed');
    expect(of('User:registry').some((line) => line.startsWith('topic READ'))).toBe(false);
  });

  it('lets the consumer read the topic and write its .dlq, not the topic itself', () => {
    expect(of('User:serving')).toContain('topic READ staging.model.alias-changed');
    expect(of('User:serving')).toContain('topic WRITE staging.model.alias-changed.dlq');
    expect(of('User:serving')).not.toContain('topic WRITE staging.model.alias-changed');
  });

  it('grants groups by prefix <group prefix><service>, and creation of every ensured topic and its .dlq', () => {
    expect(grants).toContainEqual({
      principal: 'User:serving',
      resource: 'group',
      name: 'staging-serving',
      prefixed: true,
      operation: 'READ',
    });
    for (const principal of ['User:registry', 'User:serving']) {
      expect(of(principal)).toEqual(
        expect.arrayContaining([
          'topic CREATE staging.model.alias-changed',
          'topic CREATE staging.model.alias-changed.dlq',
          'topic DESCRIBE staging.model.alias-changed.dlq',
        ]),
      );
    }
  });

  it('prints one line per principal, resource and operation', () => {
    expect(describeKafkaAcls(grants)).toContain('User:serving group READ: staging-serving* (prefix)');
  });
});

describe('producedTopicsOf', () => {
  it('inverts the producer allow-list for one service', () => {
    const producers = new Map([
      ['a', ['flywheel/registry']],
      ['b', ['flywheel/serving', 'flywheel/registry']],
      ['c', ['flywheel/serving']],
    ]);
    expect(producedTopicsOf(producers, 'registry')).toEqual(['a', 'b']);
  });
});
