import { create, fromJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  RolloutState,
  type RolloutStatus,
  RolloutStatusSchema,
  TrafficSplitSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { DeploymentRecord } from '../deployments/deployment-records.ts';
import { checkMessage, routeMessage } from '../deployments/rollout-messages.ts';
import type { RolloutStateName } from '../deployments/rollout-records.ts';

const states: Readonly<Record<RolloutStateName, RolloutState>> = {
  progressing: RolloutState.PROGRESSING,
  paused: RolloutState.PAUSED,
  succeeded: RolloutState.SUCCEEDED,
  rolled_back: RolloutState.ROLLED_BACK,
};

/** The RolloutStatus of a deployment's current or last rollout; undefined when there was none. */
export function toRolloutStatusMessage(record: DeploymentRecord): RolloutStatus | undefined {
  const rollout = record.rollout;
  if (!rollout) return undefined;
  const at = (text: string) => (text ? timestampFromDate(new Date(text)) : undefined);
  const startTime = at(rollout.startTime);
  const stepStartTime = at(rollout.stepStartTime);
  const stepEndTime = at(rollout.stepEndTime);
  const endTime = at(rollout.endTime);
  return create(RolloutStatusSchema, {
    rolloutId: rollout.id,
    deploymentName: record.name,
    state: states[rollout.state],
    trafficSplit: fromJson(TrafficSplitSchema, rollout.trafficSplit),
    stableVersion: BigInt(rollout.stableVersion),
    candidateVersion: BigInt(rollout.candidateVersion),
    stepIndex: rollout.stepIndex,
    routes: rollout.routes.map(routeMessage),
    ...(startTime ? { startTime } : {}),
    ...(stepStartTime ? { stepStartTime } : {}),
    ...(stepEndTime ? { stepEndTime } : {}),
    ...(endTime ? { endTime } : {}),
    checks: rollout.checks.map(checkMessage),
    message: rollout.message,
  });
}
