import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, durationMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type {
  FeatureView,
  FeatureViewSchema,
  StreamSource,
  StreamSourceSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import {
  type ExpectationOwner,
  type ExpectationRecord,
  expectationsOf,
  toExpectationMessage,
} from '@flywheel/quality';
import { type AuditPrincipal, auditPrincipals } from '@flywheel/rpc';
import { typeName } from './feature-values.ts';

/** One join key of a view's entity. */
export interface JoinKeyRecord {
  readonly name: string;
  readonly valueType: ValueType;
}

/** One typed feature of a view. */
export interface FeatureRecord {
  readonly name: string;
  readonly valueType: ValueType;
  readonly description: string;
  /** Sorted by key; pairs, because user keys may not be valid document field names. */
  readonly labels: readonly (readonly [string, string])[];
}

/** A stream source's protobuf record type as stored. */
export interface ProtobufFormatRecord {
  readonly messageType: string;
  /** A serialized FileDescriptorSet, base64 (documents hold no raw bytes). */
  readonly descriptorSet: string;
}

/** Where a view's rows come from. */
export interface SourceRecord {
  readonly batch: { readonly dataset: string; readonly uri: string; readonly format: DatasetFormat } | null;
  /** `protobuf` is absent on views stored before it existed: JSON records. */
  readonly stream: { readonly topic: string; readonly protobuf?: ProtobufFormatRecord | null } | null;
  /** Source column holding the event time; '' means `event_time`. */
  readonly timestampField: string;
  /** Source column → feature or join key name, sorted by column. */
  readonly fieldMapping: readonly (readonly [string, string])[];
}

/** What a user declares about a view: everything ApplyFeatureView compares to decide "changed". */
export interface FeatureViewDefinition {
  readonly name: string;
  readonly team: string;
  readonly description: string;
  readonly entityName: string;
  readonly joinKeys: readonly JoinKeyRecord[];
  readonly features: readonly FeatureRecord[];
  /** How long a value stays valid after its event time, ms; null = forever. */
  readonly ttlMs: number | null;
  readonly source: SourceRecord | null;
  readonly online: boolean;
  readonly labels: readonly (readonly [string, string])[];
  /** Data quality expectations, in declaration order (absent in views stored before they existed). */
  readonly expectations?: readonly ExpectationRecord[];
}

/** A feature view as stored in the `feature-views` collection, id = name. */
export interface FeatureViewRecord extends FeatureViewDefinition {
  /** The batch source's dataset ('' when none): indexed, so `dataset.arrived` finds its views. */
  readonly datasetName: string;
  /** 1 on create, +1 per apply that changed the definition. */
  readonly revision: number;
  readonly createTime: string;
  readonly updateTime: string;
  /** Who created it (absent in records written before audit principals were kept). */
  readonly createdBy?: AuditPrincipal;
  /** Who last changed it. */
  readonly updatedBy?: AuditPrincipal;
}

/** Fields the `feature-views` collection is queried by. */
export const featureViewIndexes = ['team', 'entityName', 'datasetName'] as const;

function sortedPairs(map: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The definition a request declares (field rules already checked), owned by `team`. Throws
 * `invalid_argument` naming `feature_view.expectations[i]…` for an expectation that cannot be
 * enforced as written (see {@link expectationsOf}).
 */
export function definitionOf(view: FeatureView, team: string): FeatureViewDefinition {
  const source = view.source;
  const ttlMs = view.ttl ? durationMs(view.ttl) : 0;
  return {
    name: view.name,
    team,
    description: view.description,
    entityName: view.entity?.name ?? '',
    joinKeys: (view.entity?.joinKeys ?? []).map((k) => ({ name: k.name, valueType: k.valueType })),
    features: view.features.map((f) => ({
      name: f.name,
      valueType: f.valueType,
      description: f.description,
      labels: sortedPairs(f.labels),
    })),
    ttlMs: ttlMs > 0 ? ttlMs : null,
    source: source
      ? {
          batch:
            source.kind.case === 'batch'
              ? {
                  dataset: source.kind.value.dataset,
                  uri: source.kind.value.uri,
                  format: source.kind.value.format,
                }
              : null,
          stream: source.kind.case === 'stream' ? streamRecordOf(source.kind.value) : null,
          timestampField: source.timestampField,
          fieldMapping: sortedPairs(source.fieldMapping),
        }
      : null,
    online: view.online,
    labels: sortedPairs(view.labels),
    expectations: expectationsOf(
      view.expectations,
      viewColumns(new Map(view.features.map((f) => [f.name, f.valueType]))),
      'feature_view.expectations',
    ),
  };
}

/** True when two definitions declare the same view. */
export function sameDefinition(a: FeatureViewDefinition, b: FeatureViewDefinition): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(d: FeatureViewDefinition): unknown[] {
  return [
    d.name,
    d.team,
    d.description,
    d.entityName,
    d.joinKeys,
    d.features,
    d.ttlMs,
    d.source,
    d.online,
    d.labels,
    d.expectations ?? [],
  ];
}

/** The wire form of a stored view. */
export function toFeatureViewMessage(record: FeatureViewRecord): MessageInitShape<typeof FeatureViewSchema> {
  const { source } = record;
  return {
    name: record.name,
    team: record.team,
    description: record.description,
    entity: { name: record.entityName, joinKeys: record.joinKeys.map((k) => ({ ...k })) },
    features: record.features.map((f) => ({
      name: f.name,
      valueType: f.valueType,
      description: f.description,
      labels: Object.fromEntries(f.labels),
    })),
    ...(record.ttlMs === null ? {} : { ttl: durationFromMs(record.ttlMs) }),
    ...(source
      ? {
          source: {
            kind: source.batch
              ? { case: 'batch' as const, value: { ...source.batch } }
              : source.stream
                ? { case: 'stream' as const, value: streamMessageOf(source.stream) }
                : { case: undefined },
            timestampField: source.timestampField,
            fieldMapping: Object.fromEntries(source.fieldMapping),
          },
        }
      : {}),
    online: record.online,
    labels: Object.fromEntries(record.labels),
    expectations: (record.expectations ?? []).map(toExpectationMessage),
    revision: BigInt(record.revision),
    audit: {
      createTime: timestampFromDate(new Date(record.createTime)),
      updateTime: timestampFromDate(new Date(record.updateTime)),
      ...auditPrincipals(record),
    },
  };
}

const numericTypes: ReadonlySet<ValueType> = new Set([
  ValueType.INT32,
  ValueType.INT64,
  ValueType.FLOAT,
  ValueType.DOUBLE,
]);
const categoryTypes: ReadonlySet<ValueType> = new Set([
  ValueType.STRING,
  ValueType.INT32,
  ValueType.INT64,
  ValueType.BOOL,
]);

/** A view's features as the owner of its expectations: typed columns, REJECT enforced at ingest. */
function viewColumns(types: ReadonlyMap<string, ValueType>): ExpectationOwner {
  return {
    column(name) {
      const type = types.get(name);
      return type === undefined
        ? undefined
        : { typeName: typeName(type), numeric: numericTypes.has(type), categorical: categoryTypes.has(type) };
    },
    unknownFeature: 'is not a feature of the view',
    numericTypes: 'INT32, INT64, FLOAT or DOUBLE',
    categoryTypes: 'STRING, INT32, INT64 or BOOL',
    canReject: true,
  };
}

function streamRecordOf(stream: StreamSource): NonNullable<SourceRecord['stream']> {
  const protobuf = stream.protobuf;
  // Left out when unset, so a JSON view stored before `protobuf` existed compares unchanged.
  if (!protobuf) return { topic: stream.topic };
  return {
    topic: stream.topic,
    protobuf: {
      messageType: protobuf.messageType,
      descriptorSet: Buffer.from(protobuf.descriptorSet).toString('base64'),
    },
  };
}

function streamMessageOf(
  stream: NonNullable<SourceRecord['stream']>,
): MessageInitShape<typeof StreamSourceSchema> {
  const protobuf = stream.protobuf;
  return {
    topic: stream.topic,
    ...(protobuf
      ? {
          protobuf: {
            messageType: protobuf.messageType,
            descriptorSet: Buffer.from(protobuf.descriptorSet, 'base64'),
          },
        }
      : {}),
  };
}
