import { newEvent, toOutboxEntry } from '@flywheel/events';
import { DeploymentRolledOutSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import type { OutboxEntry } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';
import type { ResolvedVersion } from './model-resolver.ts';
import { checkMessage } from './rollout-messages.ts';
import type { SloCheckRecord } from './rollout-records.ts';

/**
 * `deployment.rolled-out`: `version` replaces the record's stable version, swapped in by a sync
 * or promoted by a canary (which names its rollout and the checks it passed).
 */
export function rolledOutEvent(
  record: DeploymentRecord,
  version: number,
  canary?: { rolloutId: string; checks: readonly SloCheckRecord[] },
): OutboxEntry {
  return toOutboxEntry(
    newEvent(
      DeploymentRolledOutSchema,
      {
        deploymentName: record.name,
        team: record.team,
        modelName: record.modelName,
        modelVersion: BigInt(version),
        previousVersion: BigInt(record.stableVersion),
        ...(canary ? { rolloutId: canary.rolloutId, checks: canary.checks.map(checkMessage) } : {}),
      },
      { source: 'flywheel/serving' },
    ),
  );
}

/**
 * Told when this replica rolled a new version out: the one write that announced
 * `deployment.rolled-out` (a sync swapping it in, or a canary's promotion), so once per rollout
 * however many replicas follow, at the moment the version took all the traffic.
 */
export type RolledOutObserver = (rollout: {
  deployment: string;
  resolved: ResolvedVersion;
  liveAt: Date;
}) => void;
