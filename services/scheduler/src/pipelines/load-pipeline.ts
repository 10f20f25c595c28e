import { AppError, type CallOptions } from '@flywheel/core';
import { type PipelineCollections, type PipelineRecord, revisionId } from './pipeline-records.ts';

export interface LoadPipelineOptions extends CallOptions {
  /** The request field naming the pipeline, for errors. Default `pipeline_name`. */
  field?: string;
  /** The request field naming the revision, for errors. Default `revision`. */
  revisionField?: string;
}

/**
 * A pipeline at `revision` (0 = the latest). Throws `not_found` naming `field` when the pipeline
 * does not exist, or `revisionField` when that revision does not.
 */
export async function loadPipeline(
  pipelines: PipelineCollections,
  name: string,
  revision: number,
  options: LoadPipelineOptions = {},
): Promise<PipelineRecord> {
  const { field = 'pipeline_name', revisionField = 'revision', ...callOptions } = options;
  const head = await pipelines.heads.get(name, callOptions);
  if (!head) throw new AppError('not_found', `${field}: pipeline "${name}" does not exist`, { field });
  if (revision === 0 || revision === head.data.revision) return head.data;
  const older =
    revision < head.data.revision
      ? await pipelines.revisions.get(revisionId(name, revision), callOptions)
      : undefined;
  if (!older) {
    throw new AppError(
      'not_found',
      `${revisionField}: pipeline "${name}" has no revision ${revision} (latest: ${head.data.revision})`,
      { field: revisionField },
    );
  }
  return older.data;
}
