import { AppError, delay } from '@flywheel/core';
import kafkajs, { type AclEntry, type Admin, Kafka, logLevel } from 'kafkajs';
import { dlqTopicOf } from '../event-bus.ts';
import { topicNamespace } from '../topic-names.ts';
import { kafkaError } from './kafka-errors.ts';
import { type KafkaSecurity, kafkajsSecurity } from './kafka-security.ts';

// Node's CommonJS interop does not see these among kafkajs's named exports: read them off the module.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** What one service does on the bus, from the platform's own tables (producer allow-list, consumed events). */
export interface ServiceBusAccess {
  /** The service's name: its consumer groups start with it (`monitoring-windows`, `serving.<replica>`). */
  readonly service: string;
  /** Its Kafka principal, e.g. `User:registry` (a SCRAM user). */
  readonly principal: string;
  /** Topics (event types) it publishes. */
  readonly produces: readonly string[];
  /** Topics it consumes (event types, or other systems' raw topics); it dead-letters to their `.dlq`. */
  readonly consumes: readonly string[];
}

export interface KafkaAclPlanOptions {
  readonly services: readonly ServiceBusAccess[];
  /**
   * Topics every service may create and describe (with their `.dlq`): each service ensures every
   * Flywheel event type's topic at start-up (whichever starts first creates them) and lists the
   * topics to see which exist. Creating or describing a topic reads and writes none of it.
   */
  readonly creates: readonly string[];
  /** `FLYWHEEL_TOPIC_PREFIX` of the deployment. Default none. */
  readonly topicPrefix?: string;
  /** The consumer-group prefix of the deployment (see consumerGroupPrefixOf). Default none. */
  readonly groupPrefix?: string;
  /**
   * Producers outside the platform (a data pipeline publishing `dataset.arrived`, labelling
   * publishing `ground-truth.received`, the writer of a stream source): WRITE and DESCRIBE on
   * their topic, nothing else. Default none.
   */
  readonly outsideProducers?: readonly OutsideProducer[];
}

/** A principal outside the platform that publishes one topic. */
export interface OutsideProducer {
  readonly principal: string;
  readonly topic: string;
}

export type KafkaAclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE';

/** One ALLOW binding: `principal` may do `operation` on the topic or group `name` (a prefix when `prefixed`). */
export interface KafkaAclGrant {
  readonly principal: string;
  readonly resource: 'topic' | 'group';
  readonly name: string;
  readonly prefixed: boolean;
  readonly operation: KafkaAclOperation;
}

/**
 * The ACLs that let each service do what the platform's tables say and nothing else: WRITE (and
 * DESCRIBE) on the topics it produces; READ on the topics it consumes and WRITE on their `.dlq`;
 * READ on the consumer groups prefixed `<groupPrefix><service>`; CREATE and DESCRIBE on `creates`
 * and their `.dlq`. Topic names carry `topicPrefix`. Sorted, each binding once.
 */
export function planKafkaAcls(options: KafkaAclPlanOptions): KafkaAclGrant[] {
  const names = topicNamespace(options.topicPrefix);
  const grants = new Map<string, KafkaAclGrant>();
  const add = (grant: KafkaAclGrant): void => {
    grants.set(
      `${grant.principal} ${grant.resource} ${grant.name} ${grant.prefixed} ${grant.operation}`,
      grant,
    );
  };
  const topic = (principal: string, name: string, operation: KafkaAclOperation): void =>
    add({ principal, resource: 'topic', name: names.physical(name), prefixed: false, operation });
  for (const { service, principal, produces, consumes } of options.services) {
    for (const name of [...options.creates, ...consumes].flatMap((t) => [t, dlqTopicOf(t)])) {
      topic(principal, name, 'CREATE');
      topic(principal, name, 'DESCRIBE');
    }
    for (const name of produces) topic(principal, name, 'WRITE');
    for (const name of consumes) {
      topic(principal, name, 'READ');
      topic(principal, dlqTopicOf(name), 'WRITE');
    }
    add({
      principal,
      resource: 'group',
      name: `${options.groupPrefix ?? ''}${service}`,
      prefixed: true,
      operation: 'READ',
    });
  }
  for (const { principal, topic: name } of options.outsideProducers ?? []) {
    topic(principal, name, 'WRITE');
    topic(principal, name, 'DESCRIBE');
  }
  return [...grants.values()].sort(
    (a, b) =>
      a.principal.localeCompare(b.principal) ||
      a.resource.localeCompare(b.resource) ||
      a.operation.localeCompare(b.operation) ||
      a.name.localeCompare(b.name),
  );
}

/** The kafkajs `createAcls` entry of `grant` (ALLOW, from any host). */
export function kafkajsAclOf(grant: KafkaAclGrant): AclEntry {
  return {
    resourceType: grant.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: grant.name,
    resourcePatternType: grant.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: grant.principal,
    host: '*',
    operation: AclOperationTypes[grant.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/**
 * Creates `grants` on the cluster `admin` is connected to (needs ALTER on the cluster, e.g. a
 * super user), then waits until the broker it talks to enforces them: brokers apply ACLs from the
 * metadata log a moment after the controller accepted them. Idempotent: Kafka keeps one binding
 * however often it is created. Throws the mapped AppError (`permission_denied` without the right
 * to alter ACLs, `deadline_exceeded` when they are not in force by `timeoutMs`, default 60 s).
 */
export async function applyKafkaAcls(
  admin: Admin,
  grants: readonly KafkaAclGrant[],
  options: { timeoutMs?: number } = {},
): Promise<void> {
  if (grants.length === 0) return;
  try {
    await admin.createAcls({ acl: grants.map(kafkajsAclOf) });
  } catch (error) {
    throw kafkaError(error, 'creating ACLs');
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const missing = await missingGrants(admin, grants);
    if (missing === 0) return;
    if (Date.now() >= deadline)
      throw new AppError(
        'deadline_exceeded',
        `kafka: ${missing} of ${grants.length} ACL(s) not in force yet`,
      );
    await delay(200);
  }
}

/** How many of `grants` the broker's DescribeAcls does not show yet. */
async function missingGrants(admin: Admin, grants: readonly KafkaAclGrant[]): Promise<number> {
  let described: Awaited<ReturnType<Admin['describeAcls']>>;
  try {
    described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ALLOW,
    });
  } catch (error) {
    throw kafkaError(error, 'describing ACLs');
  }
  const present = new Set<string>();
  for (const resource of described.resources) {
    for (const acl of resource.acls) {
      present.add(
        `${resource.resourceType} ${resource.resourcePatternType} ${resource.resourceName} ${acl.principal} ${acl.operation}`,
      );
    }
  }
  return grants.filter((grant) => {
    const entry = kafkajsAclOf(grant);
    return !present.has(
      `${entry.resourceType} ${entry.resourcePatternType} ${entry.resourceName} ${entry.principal} ${entry.operation}`,
    );
  }).length;
}

/** Deletes exactly `grants` (nothing else matches their literal filters). Idempotent. */
export async function revokeKafkaAcls(admin: Admin, grants: readonly KafkaAclGrant[]): Promise<void> {
  if (grants.length === 0) return;
  try {
    await admin.deleteAcls({ filters: grants.map(kafkajsAclOf) });
  } catch (error) {
    throw kafkaError(error, 'deleting ACLs');
  }
}

/** One line per principal, resource kind and operation: `User:registry topic WRITE: a, b`. */
export function describeKafkaAcls(grants: readonly KafkaAclGrant[]): string[] {
  const lines = new Map<string, string[]>();
  for (const grant of grants) {
    const head = `${grant.principal} ${grant.resource} ${grant.operation}`;
    const names = lines.get(head) ?? [];
    names.push(grant.prefixed ? `${grant.name}* (prefix)` : grant.name);
    lines.set(head, names);
  }
  return [...lines].map(([head, names]) => `${head}: ${names.join(', ')}`);
}

/** Topics each service of `producers` (topic → allowed sources `flywheel/<service>`) publishes. */
export function producedTopicsOf(
  producers: ReadonlyMap<string, readonly string[]>,
  service: string,
): string[] {
  const source = `flywheel/${service}`;
  return [...producers].filter(([, sources]) => sources.includes(source)).map(([topic]) => topic);
}

/** Where a cluster is and how to reach it (`readBusConfig`'s brokers and security). */
export interface KafkaCluster extends KafkaSecurity {
  readonly brokers: readonly string[];
}

/**
 * Runs `work` with a kafkajs admin client of the cluster (brokers, TLS, SASL), connected first and
 * disconnected after, whatever `work` does. Connection failures are mapped AppErrors.
 */
export async function withKafkaAdmin<T>(
  cluster: KafkaCluster,
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const kafka = new Kafka({
    clientId: 'flywheel-kafka-acls',
    brokers: [...cluster.brokers],
    ...kafkajsSecurity(cluster),
    connectionTimeout: 5000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw kafkaError(error, 'connecting the admin client');
  }
  try {
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
