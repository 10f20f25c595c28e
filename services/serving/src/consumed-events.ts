import { eventKindOf } from '@flywheel/events';
import { DeploymentCreatedSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { ModelAliasChangedSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';

/**
 * What serving consumes, per consumer (each in a group of its own replica, `serving….<replica>`):
 * alias moves, ground truth (bandit rewards) and deployments other replicas create. The wiring
 * subscribes with it and the Kafka ACLs (`scripts/kafka-acls.ts`) grant READ on it: one list, so
 * the two cannot drift.
 */
export const servingConsumedEvents = {
  aliases: [eventKindOf(ModelAliasChangedSchema).type],
  'ground-truth': [eventKindOf(GroundTruthReceivedSchema).type],
  deployments: [eventKindOf(DeploymentCreatedSchema).type],
} as const satisfies Readonly<Record<string, readonly string[]>>;
