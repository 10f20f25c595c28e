import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { OnDemandFeatureViewSchema } from '@flywheel/proto/flywheel/featurestore/v1/on_demand_pb.js';
import { type AuditPrincipal, auditPrincipals } from '@flywheel/rpc';

/** One computed feature as declared. */
export interface OnDemandFeatureRecord {
  readonly name: string;
  readonly valueType: ValueType;
  readonly expression: string;
  readonly description: string;
}

/** A feature view feature an on-demand view reads, with the type it had when applied. */
export interface SourceFeatureRecord {
  readonly view: string;
  readonly feature: string;
  readonly valueType: ValueType;
}

/** What a user declares: everything an apply compares to decide "changed". */
export interface OnDemandViewDefinition {
  readonly name: string;
  readonly team: string;
  readonly description: string;
  readonly requestSchema: readonly { readonly name: string; readonly valueType: ValueType }[];
  readonly features: readonly OnDemandFeatureRecord[];
  readonly labels: readonly (readonly [string, string])[];
  /** Derived on apply from the expressions, in order of first use. */
  readonly sourceFeatures: readonly SourceFeatureRecord[];
}

/** An on-demand feature view as stored in `on-demand-views`, id = name. */
export interface OnDemandViewRecord extends OnDemandViewDefinition {
  readonly revision: number;
  readonly createTime: string;
  readonly updateTime: string;
  /** Who created it (absent in records written before audit principals were kept). */
  readonly createdBy?: AuditPrincipal;
  /** Who last changed it. */
  readonly updatedBy?: AuditPrincipal;
}

/** True when two definitions declare the same on-demand view. */
export function sameOnDemandDefinition(a: OnDemandViewDefinition, b: OnDemandViewDefinition): boolean {
  const canonical = (d: OnDemandViewDefinition) => [
    d.name,
    d.team,
    d.description,
    d.requestSchema,
    d.features,
    d.labels,
    d.sourceFeatures,
  ];
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** The wire form of a stored on-demand view. */
export function toOnDemandViewMessage(
  record: OnDemandViewRecord,
): MessageInitShape<typeof OnDemandFeatureViewSchema> {
  return {
    name: record.name,
    team: record.team,
    description: record.description,
    requestSchema: record.requestSchema.map((r) => ({ ...r })),
    features: record.features.map((f) => ({ ...f })),
    labels: Object.fromEntries(record.labels),
    revision: BigInt(record.revision),
    sourceFeatures: record.sourceFeatures.map((s) => `${s.view}:${s.feature}`),
    audit: {
      createTime: timestampFromDate(new Date(record.createTime)),
      updateTime: timestampFromDate(new Date(record.updateTime)),
      ...auditPrincipals(record),
    },
  };
}
