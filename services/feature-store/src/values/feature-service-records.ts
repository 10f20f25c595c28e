import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { FeatureServiceSchema } from '@flywheel/proto/flywheel/featurestore/v1/feature_service_pb.js';
import { type AuditPrincipal, auditPrincipals } from '@flywheel/rpc';

/** One immutable version of a feature service. */
export interface FeatureServiceVersionRecord {
  readonly version: number;
  readonly team: string;
  readonly description: string;
  /** Resolved references, wildcards expanded, in declared order. */
  readonly features: readonly string[];
  readonly labels: readonly (readonly [string, string])[];
  readonly createTime: string;
  /** Who created it (absent in records written before audit principals were kept). */
  readonly createdBy?: AuditPrincipal;
}

/** A feature service as stored in `feature-services`, id = name: its versions, oldest first. */
export interface FeatureServiceRecord {
  readonly name: string;
  readonly versions: readonly FeatureServiceVersionRecord[];
}

/** True when a version declares exactly this definition. */
export function sameFeatureServiceDefinition(
  a: Omit<FeatureServiceVersionRecord, 'version' | 'createTime' | 'createdBy'>,
  b: Omit<FeatureServiceVersionRecord, 'version' | 'createTime' | 'createdBy'>,
): boolean {
  const canonical = (d: typeof a) => [d.team, d.description, d.features, d.labels];
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** The wire form of one version. */
export function toFeatureServiceMessage(
  name: string,
  version: FeatureServiceVersionRecord,
): MessageInitShape<typeof FeatureServiceSchema> {
  const time = timestampFromDate(new Date(version.createTime));
  return {
    name,
    team: version.team,
    description: version.description,
    features: [...version.features],
    labels: Object.fromEntries(version.labels),
    version: BigInt(version.version),
    audit: {
      createTime: time,
      updateTime: time,
      ...auditPrincipals({ createdBy: version.createdBy, updatedBy: version.createdBy }),
    },
  };
}
