/**
 * What monitoring consumes, per consumer (group `monitoring-<consumer>`): served predictions (the
 * windows, and the skew check when enabled), registered versions (reference profiles) and ground
 * truth. The wiring subscribes with it and the Kafka ACLs (`scripts/kafka-acls.ts`) grant READ on
 * it: one list, so the two cannot drift.
 */
export const monitoringConsumedEvents = {
  windows: ['prediction.logged'],
  skew: ['prediction.logged'],
  profiles: ['model.version-registered'],
  'ground-truth': ['ground-truth.received'],
} as const satisfies Readonly<Record<string, readonly string[]>>;
