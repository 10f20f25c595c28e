import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  RouteRole,
  type RouteSchema,
  type SloCheckSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { RouteEntry, SloCheckRecord } from './rollout-records.ts';

const roles = {
  stable: RouteRole.STABLE,
  canary: RouteRole.CANARY,
  variant: RouteRole.VARIANT,
  shadow: RouteRole.SHADOW,
  arm: RouteRole.ARM,
} as const;

/** A stored route as a Route message (for events and the API alike). */
export function routeMessage(route: RouteEntry): MessageInitShape<typeof RouteSchema> {
  return { modelVersion: BigInt(route.version), role: roles[route.role], percent: route.percent };
}

/** A stored check as an SloCheck message (for events and the API alike). */
export function checkMessage(check: SloCheckRecord): MessageInitShape<typeof SloCheckSchema> {
  return {
    name: check.name,
    threshold: check.threshold,
    observed: check.observed,
    passed: check.passed,
    sampleCount: BigInt(check.sampleCount),
    checkTime: timestampFromDate(new Date(check.checkTime)),
  };
}
