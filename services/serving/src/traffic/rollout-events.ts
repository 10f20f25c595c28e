import { newEvent, toOutboxEntry } from '@flywheel/events';
import {
  DeploymentRolledBackSchema,
  DeploymentTrafficChangedSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import type { OutboxEntry } from '@flywheel/store';
import type { DeploymentRecord } from '../deployments/deployment-records.ts';
import { checkMessage, routeMessage } from '../deployments/rollout-messages.ts';
import type { RouteEntry, SloCheckRecord } from '../deployments/rollout-records.ts';

const source = { source: 'flywheel/serving' };

/** `deployment.traffic-changed`: a strategy started or a canary stepped. */
export function trafficChangedEvent(
  record: DeploymentRecord,
  routes: readonly RouteEntry[],
  previous: readonly RouteEntry[],
  rolloutId: string,
  reason: string,
): OutboxEntry {
  return toOutboxEntry(
    newEvent(
      DeploymentTrafficChangedSchema,
      {
        deploymentName: record.name,
        team: record.team,
        modelName: record.modelName,
        routes: routes.map(routeMessage),
        previousRoutes: previous.map(routeMessage),
        rolloutId,
        reason,
      },
      source,
    ),
  );
}

/**
 * `deployment.rolled-back` from version `from` to `to`; `automatic` when it names the checks
 * that failed (an empty list is a requested rollback or a replaced strategy).
 */
export function rolledBackEvent(
  record: DeploymentRecord,
  to: number,
  from: number,
  rolloutId: string,
  reason: string,
  failed: readonly SloCheckRecord[],
): OutboxEntry {
  return toOutboxEntry(
    newEvent(
      DeploymentRolledBackSchema,
      {
        deploymentName: record.name,
        team: record.team,
        modelName: record.modelName,
        modelVersion: BigInt(to),
        fromVersion: BigInt(from),
        rolloutId,
        reason,
        automatic: failed.length > 0,
        failedChecks: failed.map(checkMessage),
      },
      source,
    ),
  );
}
