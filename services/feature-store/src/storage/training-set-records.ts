import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import type { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import type { TrainingSetSchema } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { type AuditPrincipal, auditPrincipals } from '@flywheel/rpc';

/** A training set as stored in collection `training-sets`, id = its `ts_…` id. */
export interface TrainingSetRecord {
  readonly id: string;
  readonly name: string;
  readonly team: string;
  readonly features: readonly string[];
  readonly columns: readonly string[];
  readonly blob: { readonly sha256: string; readonly sizeBytes: number };
  readonly format: DatasetFormat;
  readonly rowCount: number;
  /** Range of the entity dataframe's event times, epoch ms; null for an empty frame. */
  readonly minTimeMs: number | null;
  readonly maxTimeMs: number | null;
  /** Feature view name → revision read, as pairs. */
  readonly featureViewRevisions: readonly (readonly [string, number])[];
  /** '' when the request gave none. */
  readonly requestId: string;
  /** sha256 of the request that made it: a retry with the same request_id must match. */
  readonly requestDigest: string;
  readonly createTime: string;
  /** Who created it (absent in records written before audit principals were kept). */
  readonly createdBy?: AuditPrincipal;
  /** The feature service version it was built from; absent when the request listed features. */
  readonly featureService?: { readonly name: string; readonly version: number };
}

/** The wire form of a stored training set. */
export function toTrainingSetMessage(record: TrainingSetRecord): MessageInitShape<typeof TrainingSetSchema> {
  return {
    id: record.id,
    name: record.name,
    team: record.team,
    features: [...record.features],
    columns: [...record.columns],
    blob: {
      uri: blobUri(record.blob.sha256),
      sha256: record.blob.sha256,
      sizeBytes: BigInt(record.blob.sizeBytes),
    },
    format: record.format,
    rowCount: BigInt(record.rowCount),
    ...(record.minTimeMs === null ? {} : { minEventTime: timestampFromMs(record.minTimeMs) }),
    ...(record.maxTimeMs === null ? {} : { maxEventTime: timestampFromMs(record.maxTimeMs) }),
    featureViewRevisions: Object.fromEntries(
      record.featureViewRevisions.map(([name, rev]) => [name, BigInt(rev)]),
    ),
    ...(record.featureService
      ? {
          featureService: {
            name: record.featureService.name,
            version: BigInt(record.featureService.version),
          },
        }
      : {}),
    audit: {
      createTime: timestampFromDate(new Date(record.createTime)),
      updateTime: timestampFromDate(new Date(record.createTime)),
      ...auditPrincipals({ createdBy: record.createdBy, updatedBy: record.createdBy }),
    },
  };
}
