import { dlqTopicOf } from '../event-bus.ts';
import type { ServiceBusAccess } from '../kafka/kafka-acls.ts';
import { topicNamespace } from '../topic-names.ts';
import { streamNameOf, subjectOf } from './nats-names.ts';
import { natsInboxPrefixOf } from './nats-security.ts';

export interface NatsPermissionPlanOptions {
  /** What each service does; `principal` is its NATS user name. */
  readonly services: readonly ServiceBusAccess[];
  /** Topics every service may create and look up (with their `.dlq`), as on Kafka: each service ensures them all at start-up. */
  readonly creates: readonly string[];
  /** `FLYWHEEL_TOPIC_PREFIX` of the deployment. Default none. */
  readonly topicPrefix?: string;
  /** First token of every subject, as the bus uses it. Default `flywheel`. */
  readonly subjectPrefix?: string;
  /**
   * Users outside the platform that publish one topic each (a data pipeline publishing
   * `dataset.arrived`, labelling `ground-truth.received`, a stream source's writer): they may
   * publish its subject (core NATS or JetStream) and read their own inbox (the publish acks),
   * nothing else. `principal` is the NATS user name. Default none.
   */
  readonly outsideProducers?: readonly { readonly principal: string; readonly topic: string }[];
}

/** What one NATS user may publish to and subscribe to (allow lists; everything else is refused). */
export interface NatsUserPermissions {
  readonly service: string;
  readonly user: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/**
 * The NATS permissions that let each service do on JetStream what the platform's tables say and
 * nothing else — the same tables as its Kafka ACLs (planKafkaAcls):
 *
 * - publish the subjects of the topics it produces, and of the `.dlq` of those it consumes;
 * - create and look up (`STREAM.CREATE`, `STREAM.INFO`) the streams of `creates` and what it
 *   consumes, with their `.dlq`;
 * - on the streams it consumes only: create, look up and pull from durable consumers
 *   (`CONSUMER.CREATE|INFO|MSG.NEXT.<stream>.*`) and ack (`$JS.ACK.<stream>.>`). NATS
 *   permissions match whole subject tokens, so a consumer name cannot be confined to a prefix the
 *   way Kafka's group ACLs are: a service may use any consumer of a stream it may read, none of
 *   one it may not;
 * - `$JS.API.INFO` (the client's JetStream check);
 * - subscribe to its own inbox only (`_INBOX_<user>.>`, see natsInboxPrefixOf), where its publish
 *   acks and pulled messages arrive — so it never sees another service's.
 *
 * Sorted, each subject once.
 */
export function planNatsPermissions(options: NatsPermissionPlanOptions): NatsUserPermissions[] {
  const names = topicNamespace(options.topicPrefix);
  const subject = (topic: string): string =>
    subjectOf(options.subjectPrefix ?? 'flywheel', names.physical(topic));
  const stream = (topic: string): string => streamNameOf(names.physical(topic));
  const withDlq = (topics: readonly string[]): string[] => topics.flatMap((t) => [t, dlqTopicOf(t)]);
  const outside = new Map<string, Set<string>>();
  for (const { principal, topic } of options.outsideProducers ?? [])
    outside.set(principal, (outside.get(principal) ?? new Set()).add(subject(topic)));
  const outsiders: NatsUserPermissions[] = [...outside].map(([user, subjects]) => ({
    service: 'outside',
    user,
    publish: [...subjects].sort(),
    subscribe: [`${natsInboxPrefixOf(user)}.>`],
  }));
  const platform = options.services.map(({ service, principal, produces, consumes }) => {
    const publish = new Set<string>(['$JS.API.INFO']);
    for (const topic of produces) publish.add(subject(topic));
    for (const topic of consumes) publish.add(subject(dlqTopicOf(topic)));
    for (const topic of withDlq([...options.creates, ...consumes])) {
      publish.add(`$JS.API.STREAM.CREATE.${stream(topic)}`);
      publish.add(`$JS.API.STREAM.INFO.${stream(topic)}`);
    }
    for (const topic of consumes) {
      for (const call of ['CREATE', 'INFO', 'MSG.NEXT'])
        publish.add(`$JS.API.CONSUMER.${call}.${stream(topic)}.*`);
      publish.add(`$JS.ACK.${stream(topic)}.>`);
    }
    return {
      service,
      user: principal,
      publish: [...publish].sort(),
      subscribe: [`${natsInboxPrefixOf(principal)}.>`],
    };
  });
  return [...platform, ...outsiders];
}

/** A JSON string literal, which nats-server's configuration format reads as a quoted string. */
const quoted = (value: string): string => JSON.stringify(value);

/**
 * The nats-server configuration block granting `permissions`: `authorization { users = [...] }`,
 * each user with its password from `passwordOf` (the server compares it; keep the file 0600),
 * plus `superUsers` (user → password) allowed everything (operators, tests). Include it from the
 * server's configuration (`include "flywheel-users.conf"`).
 */
export function natsAuthorizationConfig(
  permissions: readonly NatsUserPermissions[],
  passwordOf: (user: string) => string,
  superUsers: Readonly<Record<string, string>> = {},
): string {
  const lines = [
    "# Generated by scripts/nats-permissions.ts from the platform's tables: do not edit.",
    'authorization {',
    '  users = [',
  ];
  for (const [user, password] of Object.entries(superUsers))
    lines.push(`    { user: ${quoted(user)}, password: ${quoted(password)} }`);
  for (const { user, publish, subscribe } of permissions) {
    lines.push(
      `    { user: ${quoted(user)}, password: ${quoted(passwordOf(user))}, permissions: {`,
      `        publish: { allow: [${publish.map(quoted).join(', ')}] }`,
      `        subscribe: { allow: [${subscribe.map(quoted).join(', ')}] }`,
      '    } }',
    );
  }
  lines.push('  ]', '}');
  return `${lines.join('\n')}\n`;
}

/** One line per user and subject, for printing: `<user> publish <subject>`. */
export function describeNatsPermissions(permissions: readonly NatsUserPermissions[]): string[] {
  return permissions.flatMap(({ user, publish, subscribe }) => [
    ...publish.map((subject) => `${user} publish ${subject}`),
    ...subscribe.map((subject) => `${user} subscribe ${subject}`),
  ]);
}
