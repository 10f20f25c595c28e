import { eventKindOf } from '@flywheel/events';
import { PipelineRunRequestedSchema } from '@flywheel/proto/flywheel/events/v1/pipeline_pb.js';

/**
 * What the orchestrator consumes (group `orchestrator`): run requests, which it starts. The wiring
 * subscribes with it and the Kafka ACLs (`scripts/kafka-acls.ts`) grant READ on it: one list, so
 * the two cannot drift.
 */
export const orchestratorConsumedEvents = {
  runs: [eventKindOf(PipelineRunRequestedSchema).type],
} as const satisfies Readonly<Record<string, readonly string[]>>;
