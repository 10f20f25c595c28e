/**
 * What the feature store consumes (group `feature-store`): arrived datasets, which it ingests.
 * Stream sources are not listed: their topics are other systems' and come with feature views
 * (groups `feature-store.stream.<view>.<created>`), so their ACLs are granted per topic
 * (`scripts/kafka-acls.ts --stream-topic`). The wiring subscribes with it and the Kafka ACLs grant
 * READ on it: one list, so the two cannot drift.
 */
export const featureStoreConsumedEvents = {
  datasets: ['dataset.arrived'],
} as const satisfies Readonly<Record<string, readonly string[]>>;
