import { create, fromJson, type JsonObject, type JsonValue, toJson } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type PipelineSpec, PipelineSpecSchema } from '@flywheel/proto/flywheel/common/v1/pipeline_pb.js';
import { AuditSchema } from '@flywheel/proto/flywheel/common/v1/resource_pb.js';
import { type Pipeline, PipelineSchema } from '@flywheel/proto/flywheel/scheduler/v1/scheduler_pb.js';
import type { Collection, DocumentStore } from '@flywheel/store';
import { type PrincipalRecord, toPrincipalMessage } from '../records/principals.ts';

/** One revision of a pipeline, as stored. Times are epoch ms. */
export interface PipelineRecord {
  name: string;
  team: string;
  description: string;
  labels: Record<string, string>;
  revision: number;
  /** The PipelineSpec in the protobuf JSON mapping. */
  spec: JsonObject;
  createTime: number;
  updateTime: number;
  createdBy: PrincipalRecord;
  updatedBy: PrincipalRecord;
}

/**
 * Where pipelines live: `heads` holds the latest revision of each (id = name); `revisions` the
 * earlier ones (id = `<name>@<revision>`), written when a revision is superseded.
 */
export interface PipelineCollections {
  heads: Collection<PipelineRecord>;
  revisions: Collection<PipelineRecord>;
}

export function openPipelineCollections(store: DocumentStore): PipelineCollections {
  return {
    heads: store.collection<PipelineRecord>('pipelines', { indexes: ['team'] }),
    revisions: store.collection<PipelineRecord>('pipeline-revisions', { indexes: ['name'] }),
  };
}

/** The id of a superseded revision's document. */
export function revisionId(name: string, revision: number): string {
  return `${name}@${revision}`;
}

export function specToJson(spec: PipelineSpec): JsonObject {
  return toJson(PipelineSpecSchema, spec) as JsonObject;
}

export function specOf(record: PipelineRecord): PipelineSpec {
  return fromJson(PipelineSpecSchema, record.spec as JsonValue);
}

export function toPipelineMessage(record: PipelineRecord): Pipeline {
  return create(PipelineSchema, {
    name: record.name,
    team: record.team,
    description: record.description,
    spec: specOf(record),
    revision: BigInt(record.revision),
    labels: record.labels,
    audit: create(AuditSchema, {
      createTime: timestampFromMs(record.createTime),
      updateTime: timestampFromMs(record.updateTime),
      createdBy: toPrincipalMessage(record.createdBy),
      updatedBy: toPrincipalMessage(record.updatedBy),
    }),
  });
}
