import type { JsonValue } from '@bufbuild/protobuf';
import {
  isInProgress,
  type RolloutRecord,
  type RouteEntry,
  type SloCheckRecord,
} from '../deployments/rollout-records.ts';
import { stableRoutes } from './traffic-router.ts';

/** Whether a stored rollout is still in progress (progressing, or paused before promotion). */
export function isActive(rollout: RolloutRecord | undefined): rollout is RolloutRecord {
  return isInProgress(rollout);
}

/** The version a rollout takes out of traffic when it ends. */
export function fromVersionOf(rollout: RolloutRecord, stable: number): number {
  return (
    rollout.candidateVersion || (rollout.routes.find((route) => route.version !== stable)?.version ?? stable)
  );
}

/** The routes of a deployment's rollout in progress, or all on stable when there is none. */
export function currentRoutes(rollout: RolloutRecord | undefined, stable: number): RouteEntry[] {
  return isActive(rollout) ? rollout.routes : stableRoutes(stable);
}

/** A rollout that starts now (`candidate` 0 and no step end for strategies other than canary). */
export function startedRollout(start: {
  id: string;
  trafficSplit: JsonValue;
  stableVersion: number;
  candidateVersion: number;
  candidateArtifactSha256: string;
  routes: RouteEntry[];
  time: Date;
  stepEndTime: string;
  message: string;
}): RolloutRecord {
  const time = start.time.toISOString();
  return {
    id: start.id,
    state: 'progressing',
    trafficSplit: start.trafficSplit,
    stableVersion: start.stableVersion,
    candidateVersion: start.candidateVersion,
    candidateArtifactSha256: start.candidateArtifactSha256,
    stepIndex: 0,
    routes: start.routes,
    startTime: time,
    stepStartTime: time,
    stepEndTime: start.stepEndTime,
    endTime: '',
    checks: [],
    message: start.message,
  };
}

/** `rollout` ended as rolled back at `time`: all traffic on `stable`, with the checks if given. */
export function rolledBackRollout(
  rollout: RolloutRecord,
  stable: number,
  time: Date,
  message: string,
  checks?: SloCheckRecord[],
): RolloutRecord {
  return {
    ...rollout,
    state: 'rolled_back',
    routes: stableRoutes(stable),
    endTime: time.toISOString(),
    ...(checks ? { checks } : {}),
    message,
  };
}
