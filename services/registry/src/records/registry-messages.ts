import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import type { BlobRefSchema } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import type {
  ModelLineageSchema,
  ModelSignatureSchema,
} from '@flywheel/proto/flywheel/common/v1/model_pb.js';
import type { PrincipalSchema } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { AuditSchema } from '@flywheel/proto/flywheel/common/v1/resource_pb.js';
import type { EventRefSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import {
  type AliasChangeSchema,
  ArtifactFormat,
  type ModelSchema,
  type ModelVersionSchema,
  Stage,
  type StageChangeSchema,
} from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type {
  AliasChangeRecord,
  LineageRecord,
  ModelRecord,
  PrincipalRecord,
  SignatureRecord,
  StageChangeRecord,
  StageName,
  VersionRecord,
} from './registry-records.ts';

// Stored records → API messages. Versions become bigint here, at the edge.

/** The API's Model: aliases as a map, the audit trail, latest version. */
export function modelMessage(model: ModelRecord): MessageInitShape<typeof ModelSchema> {
  return {
    name: model.name,
    team: model.team,
    description: model.description,
    labels: Object.fromEntries(model.labels),
    aliases: Object.fromEntries(model.aliases.map(([alias, version]) => [alias, BigInt(version)])),
    latestVersion: BigInt(model.latestVersion),
    audit: auditMessage(model),
  };
}

/** The API's ModelVersion; `aliases` are the model's aliases pointing at it (sorted). */
export function versionMessage(
  version: VersionRecord,
  modelAliases: readonly [string, number][],
): MessageInitShape<typeof ModelVersionSchema> {
  return {
    modelName: version.modelName,
    version: BigInt(version.version),
    team: version.team,
    description: version.description,
    artifact: { format: ArtifactFormat.ONNX, blob: blobRefMessage(version.artifact) },
    ...(version.signature ? { signature: signatureMessage(version.signature) } : {}),
    metrics: Object.fromEntries(version.metrics),
    parameters: Object.fromEntries(version.parameters),
    tags: Object.fromEntries(version.tags),
    lineage: lineageMessage(version.lineage),
    stage: stageOf(version.stage),
    aliases: modelAliases.filter(([, v]) => v === version.version).map(([alias]) => alias),
    requestId: version.requestId,
    audit: auditMessage(version),
  };
}

/** The API's AliasChange. */
export function aliasChangeMessage(
  modelName: string,
  change: AliasChangeRecord,
): MessageInitShape<typeof AliasChangeSchema> {
  return {
    modelName,
    alias: change.alias,
    previousVersion: BigInt(change.previousVersion),
    modelVersion: BigInt(change.version),
    reason: change.reason,
    changeTime: timestampFromMs(change.timeMs),
    principal: principalMessage(change.principal),
  };
}

/** The API's StageChange. */
export function stageChangeMessage(
  modelName: string,
  version: number,
  change: StageChangeRecord,
): MessageInitShape<typeof StageChangeSchema> {
  return {
    modelName,
    modelVersion: BigInt(version),
    previousStage: stageOf(change.previousStage),
    stage: stageOf(change.stage),
    reason: change.reason,
    changeTime: timestampFromMs(change.timeMs),
    principal: principalMessage(change.principal),
  };
}

/** A stored artifact as a BlobRef: `blob:sha256:<hex>`, digest and size. */
export function blobRefMessage(artifact: {
  sha256: string;
  sizeBytes: number;
}): MessageInitShape<typeof BlobRefSchema> {
  return { uri: blobUri(artifact.sha256), sha256: artifact.sha256, sizeBytes: BigInt(artifact.sizeBytes) };
}

export function signatureMessage(signature: SignatureRecord): MessageInitShape<typeof ModelSignatureSchema> {
  const tensor = (t: SignatureRecord['inputs'][number]) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape.map(BigInt),
  });
  return { inputs: signature.inputs.map(tensor), outputs: signature.outputs.map(tensor) };
}

export function lineageMessage(lineage: LineageRecord): MessageInitShape<typeof ModelLineageSchema> {
  return {
    trainingSetRef: lineage.trainingSetRef,
    pipelineRunId: lineage.pipelineRunId,
    pipelineName: lineage.pipelineName,
    codeVersion: lineage.codeVersion,
    parentVersions: lineage.parentVersions.map((p) => ({
      modelName: p.modelName,
      modelVersion: BigInt(p.version),
    })),
    ...(lineage.featureService
      ? {
          featureService: lineage.featureService.name,
          featureServiceVersion: BigInt(lineage.featureService.version),
        }
      : {}),
    ...(lineage.triggerEvent ? { triggerEvent: eventRefMessage(lineage.triggerEvent) } : {}),
  };
}

function eventRefMessage({
  timeMs,
  ...ref
}: NonNullable<LineageRecord['triggerEvent']>): MessageInitShape<typeof EventRefSchema> {
  return { ...ref, ...(timeMs > 0 ? { time: timestampFromMs(timeMs) } : {}) };
}

export function principalMessage(principal: PrincipalRecord): MessageInitShape<typeof PrincipalSchema> {
  return { ...principal, roles: [...principal.roles] };
}

function auditMessage(record: {
  createTimeMs: number;
  updateTimeMs: number;
  createdBy: PrincipalRecord;
  updatedBy: PrincipalRecord;
}): MessageInitShape<typeof AuditSchema> {
  return {
    createTime: timestampFromMs(record.createTimeMs),
    updateTime: timestampFromMs(record.updateTimeMs),
    createdBy: principalMessage(record.createdBy),
    updatedBy: principalMessage(record.updatedBy),
  };
}

const stages: Readonly<Record<StageName, Stage>> = {
  NONE: Stage.NONE,
  STAGING: Stage.STAGING,
  PRODUCTION: Stage.PRODUCTION,
  ARCHIVED: Stage.ARCHIVED,
};

/** The proto Stage of a stored stage name. */
export function stageOf(name: StageName): Stage {
  return stages[name];
}

/** The stored name of a proto Stage; undefined for UNSPECIFIED or an unknown number. */
export function stageName(stage: Stage): StageName | undefined {
  return (Object.keys(stages) as StageName[]).find((name) => stages[name] === stage);
}
