import { type BusConfig, readBusConfig, readEventSecurityConfig } from '@flywheel/bus';
import type { ServiceBusAccess } from '@flywheel/bus/kafka-acls';
import { ConfigReader, type Env } from '@flywheel/core';
import { eventTypes } from '@flywheel/events';
import { consumerGroupPrefixOf, type ServiceName } from '@flywheel/runtime';
import { parseTriggerTopics, triggerTopicsSetting } from '@flywheel/scheduler/consumed-events';
import { serviceBusAccess } from './service-bus-access.ts';

/** The six services, in the order the broker tools print them. */
export const platformServices: readonly ServiceName[] = [
  'scheduler',
  'orchestrator',
  'registry',
  'feature-store',
  'serving',
  'monitoring',
];

/** What each service may do on a bus, and the names it does it under: the input of the ACL and permission planners. */
export interface BusAccessPlan<K extends 'kafka' | 'nats'> {
  readonly bus: Extract<BusConfig, { kind: K }>;
  readonly services: ServiceBusAccess[];
  /** Every Flywheel event type: each service ensures them all at start-up. */
  readonly creates: readonly string[];
  readonly topicPrefix?: string;
  readonly groupPrefix: string;
}

/**
 * One derivation for every broker: reads the deployment's bus (`FLYWHEEL_BUS` forced to `kind`),
 * topic and consumer-group prefixes, producer allow-list and the outside topics trigger rules read
 * (`FLYWHEEL_SCHEDULER_TRIGGER_TOPICS`, by name) from `env` as the services read them, and says
 * what each service produces and consumes (serviceBusAccess). Kafka ACLs
 * (kafka-acls-command.ts) and NATS permissions (nats-permissions-command.ts) are planned from it.
 * Throws `invalid_argument` for bad settings.
 */
export function busAccessPlanOf<K extends 'kafka' | 'nats'>(
  kind: K,
  env: Env,
  options: {
    /** The broker principal of a service; default `principalOf`'s. */
    principals?: Readonly<Partial<Record<ServiceName, string>>>;
    /** The default principal of a service (Kafka `User:<service>`, NATS `<service>`). */
    principalOf: (service: ServiceName) => string;
    streamTopics?: readonly string[];
  },
): BusAccessPlan<K> {
  const reader = new ConfigReader({ ...env, FLYWHEEL_BUS: kind });
  const bus = readBusConfig(reader);
  const groupPrefix = consumerGroupPrefixOf(
    { consumerGroupPrefix: reader.string('FLYWHEEL_CONSUMER_GROUP_PREFIX', '') },
    bus,
  );
  // Grants always follow an allow-list: `off` (consumers admit anyone) still leaves the owners'.
  const producers = readEventSecurityConfig(reader, true).producers;
  // The outside topics trigger rules may name: granted by name, so prefixes cannot be planned.
  const setting = reader.string(triggerTopicsSetting, '');
  const topics = parseTriggerTopics(setting);
  if (typeof topics === 'string') reader.problem(triggerTopicsSetting, topics);
  else if (setting.trim() !== '' && topics.exact === undefined) {
    reader.problem(
      triggerTopicsSetting,
      'broker grants are per topic: list the outside topics trigger rules read by name (no "*")',
    );
  }
  const triggerTopics = typeof topics === 'string' ? [] : (topics.exact ?? []);
  reader.done();
  const services = serviceBusAccess({
    ...(producers ? { producers } : {}),
    principalOf: (service) => options.principals?.[service] ?? options.principalOf(service),
    streamTopics: options.streamTopics ?? [],
    triggerTopics,
  });
  return {
    bus: bus as Extract<BusConfig, { kind: K }>,
    services,
    creates: eventTypes(),
    ...(bus.topicPrefix ? { topicPrefix: bus.topicPrefix } : {}),
    groupPrefix,
  };
}
