import type { JsonValue } from '@bufbuild/protobuf';

/** The role a version plays in a split (RouteRole without the prefix). */
export type RouteRoleName = 'stable' | 'canary' | 'variant' | 'shadow' | 'arm';

/** Traffic a version receives: share of live traffic 0 to 100 (shadow: share mirrored). */
export interface RouteEntry {
  version: number;
  role: RouteRoleName;
  percent: number;
}

/** RolloutState without the prefix. */
export type RolloutStateName = 'progressing' | 'paused' | 'succeeded' | 'rolled_back';

/** One SLO evaluation as stored (SloCheck; latency in ms, time RFC 3339). */
export interface SloCheckRecord {
  name: string;
  threshold: number;
  observed: number;
  passed: boolean;
  sampleCount: number;
  checkTime: string;
}

/**
 * The current (or last) rollout of a deployment, stored inside its DeploymentRecord so that a
 * traffic change, the stable version it affects and its event are one store write.
 */
export interface RolloutRecord {
  id: string;
  state: RolloutStateName;
  /** TrafficSplit in protobuf JSON (a canary from the rollout policy has its candidate filled in). */
  trafficSplit: JsonValue;
  stableVersion: number;
  /** The canary's candidate; 0 for other strategies. */
  candidateVersion: number;
  /** sha256 of the candidate's artifact, so promotion records it as the stable artifact. */
  candidateArtifactSha256: string;
  stepIndex: number;
  routes: RouteEntry[];
  /** RFC 3339; "" when not applicable. */
  startTime: string;
  stepStartTime: string;
  stepEndTime: string;
  endTime: string;
  checks: SloCheckRecord[];
  message: string;
  /**
   * A bandit's rewards per arm, summed over every replica, so a restart keeps what it learned;
   * absent for other strategies (and in records stored before it was kept).
   */
  armRewards?: ArmRewardRecord[];
  /**
   * The replica (instance id) judging a canary and until when its claim holds (RFC 3339): only it
   * writes the canary's steps and its end; another replica takes over once the claim has lapsed.
   * Absent for other strategies and in records stored before judges were leased (free to claim).
   */
  judge?: string;
  judgeLeaseUntil?: string;
  /**
   * The event that started the canary candidate's producing run (its ResolvedVersion's trigger),
   * so the replica promoting it, whichever it is, observes the loop's lead time. Absent when no
   * trigger produced the candidate, for other strategies, and in records stored before it was kept.
   */
  candidateTrigger?: { eventType: string; timeMs: number };
}

/** The rewards one bandit arm has earned. */
export interface ArmRewardRecord {
  version: number;
  pulls: number;
  rewards: number;
}

/** Whether a stored rollout is still in progress (progressing or paused). */
export function isInProgress(rollout: RolloutRecord | undefined): rollout is RolloutRecord {
  return rollout !== undefined && (rollout.state === 'progressing' || rollout.state === 'paused');
}
