import { producedTopicsOf, type ServiceBusAccess } from '@flywheel/bus/kafka-acls';
import { defaultEventProducers } from '@flywheel/events';
import { featureStoreConsumedEvents } from '@flywheel/feature-store/consumed-events';
import { monitoringConsumedEvents } from '@flywheel/monitoring/consumed-events';
import { orchestratorConsumedEvents } from '@flywheel/orchestrator/consumed-events';
import { registryConsumedEvents } from '@flywheel/registry/consumed-events';
import type { ServiceName } from '@flywheel/runtime';
import { schedulerConsumedEvents } from '@flywheel/scheduler/consumed-events';
import { servingConsumedEvents } from '@flywheel/serving/consumed-events';

/** Every consumer of every service, as its wiring subscribes (each service's `consumed-events.ts`). */
const consumedBy: Readonly<Record<ServiceName, Readonly<Record<string, readonly string[]>>>> = {
  scheduler: schedulerConsumedEvents(),
  orchestrator: orchestratorConsumedEvents,
  registry: registryConsumedEvents,
  'feature-store': featureStoreConsumedEvents,
  serving: servingConsumedEvents,
  monitoring: monitoringConsumedEvents,
};

export interface ServiceBusAccessOptions {
  /** Topic → allowed producers (`flywheel/<service>`): `FLYWHEEL_EVENT_PRODUCERS`. Default the built-in allow-list. */
  producers?: ReadonlyMap<string, readonly string[]>;
  /** The Kafka principal of each service. Default `User:<service>` (the test broker's SCRAM users). */
  principalOf?: (service: ServiceName) => string;
  /** Topics of feature views' stream sources, which the feature store reads (other systems write them). */
  streamTopics?: readonly string[];
  /** Outside topics trigger rules may name, which the scheduler reads (FLYWHEEL_SCHEDULER_TRIGGER_TOPICS). */
  triggerTopics?: readonly string[];
}

/**
 * What each of the six services produces and consumes, from the platform's own tables: the
 * producer allow-list (`defaultEventProducers`, or FLYWHEEL_EVENT_PRODUCERS) and the consumed
 * events every service's wiring subscribes with. The input of `planKafkaAcls`.
 */
export function serviceBusAccess(options: ServiceBusAccessOptions = {}): ServiceBusAccess[] {
  const producers = options.producers ?? defaultEventProducers();
  const principalOf = options.principalOf ?? ((service) => `User:${service}`);
  return (Object.keys(consumedBy) as ServiceName[]).map((service) => ({
    service,
    principal: principalOf(service),
    produces: producedTopicsOf(producers, service),
    consumes: [
      ...new Set([
        ...Object.values(consumedBy[service]).flat(),
        ...(service === 'feature-store' ? (options.streamTopics ?? []) : []),
        ...(service === 'scheduler' ? (options.triggerTopics ?? []) : []),
      ]),
    ],
  }));
}
