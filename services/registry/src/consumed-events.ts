/**
 * What the registry consumes: nothing (it only publishes). Declared so that the Kafka ACLs
 * (`scripts/kafka-acls.ts`) read every service's consumption from the same kind of place.
 */
export const registryConsumedEvents = {} as const satisfies Readonly<Record<string, readonly string[]>>;
