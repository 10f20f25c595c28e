import { create, fromJson } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type Deployment,
  DeploymentSchema,
  DeploymentState,
  RolloutPolicySchema,
  RouteRole,
  TrafficSplitSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { auditPrincipals } from '@flywheel/rpc';
import type { DeploymentRecord, DeploymentStateName } from '../deployments/deployment-records.ts';
import { routeMessage } from '../deployments/rollout-messages.ts';
import type { RolloutRecord } from '../deployments/rollout-records.ts';

/** Whether a rollout still shapes traffic. */
const isActive = (rollout: RolloutRecord): boolean =>
  rollout.state === 'progressing' || rollout.state === 'paused';

const states: Readonly<Record<DeploymentStateName, DeploymentState>> = {
  pending: DeploymentState.PENDING,
  ready: DeploymentState.READY,
  rolling_out: DeploymentState.ROLLING_OUT,
  degraded: DeploymentState.DEGRADED,
  failed: DeploymentState.FAILED,
};

/** The Deployment message of a stored deployment, as GetDeployment and friends return it. */
export function toDeploymentMessage(record: DeploymentRecord): Deployment {
  const logging = record.predictionLogging;
  const batching = record.runtime.dynamicBatching;
  return create(DeploymentSchema, {
    name: record.name,
    team: record.team,
    description: record.description,
    target: {
      modelName: record.modelName,
      selector: record.alias
        ? { case: 'alias', value: record.alias }
        : { case: 'modelVersion', value: BigInt(record.pinnedVersion) },
    },
    runtime: {
      instanceCount: record.runtime.instanceCount,
      intraOpThreads: record.runtime.intraOpThreads,
      interOpThreads: record.runtime.interOpThreads,
      maxQueueSize: record.runtime.maxQueueSize,
      ...(batching ? { dynamicBatching: batching } : {}),
    },
    predictionLogging: {
      sampleRate: logging.sampleRate,
      maxBatchSize: logging.maxBatchSize,
      ...(logging.maxBatchDelayMs > 0 ? { maxBatchDelay: durationFromMs(logging.maxBatchDelayMs) } : {}),
      includeTensors: logging.includeTensors,
    },
    ...(record.rolloutPolicy === null
      ? {}
      : { rolloutPolicy: fromJson(RolloutPolicySchema, record.rolloutPolicy) }),
    labels: record.labels,
    ...(record.featureEnrichment ? { featureEnrichment: record.featureEnrichment } : {}),
    state: states[record.state],
    stateMessage: record.stateMessage,
    stableVersion: BigInt(record.stableVersion),
    routes:
      record.rollout && isActive(record.rollout)
        ? record.rollout.routes.map(routeMessage)
        : record.stableVersion > 0
          ? [{ modelVersion: BigInt(record.stableVersion), role: RouteRole.STABLE, percent: 100 }]
          : [],
    ...(record.rollout && isActive(record.rollout)
      ? { trafficSplit: fromJson(TrafficSplitSchema, record.rollout.trafficSplit) }
      : {}),
    audit: {
      createTime: timestampFromDate(new Date(record.createTime)),
      updateTime: timestampFromDate(new Date(record.updateTime)),
      ...auditPrincipals(record),
    },
  });
}
