import type { CallOptions } from '@flywheel/core';
import type { TeamCondition } from '@flywheel/rpc';
import { keysetPage } from '../records/paging.ts';
import { loadPipeline } from './load-pipeline.ts';
import type { PipelineCollections, PipelineRecord } from './pipeline-records.ts';

export interface PipelineQueriesDeps {
  pipelines: PipelineCollections;
}

/** Reads pipelines: one at a revision (0 = latest; `not_found` if absent), or a page of the latest revisions by name. */
export function pipelineQueries(deps: PipelineQueriesDeps) {
  return {
    get: (name: string, revision: number, options: CallOptions = {}): Promise<PipelineRecord> =>
      loadPipeline(deps.pipelines, name, revision, options),

    list: async (
      query: { team: TeamCondition; pageSize: number; pageToken: string },
      options: CallOptions = {},
    ): Promise<{ page: PipelineRecord[]; nextPageToken: string }> => {
      const filter = query.team !== '' ? { team: query.team } : {};
      return keysetPage(deps.pipelines.heads, filter, query, {
        ...options,
        query: JSON.stringify(['pipelines', query.team]),
      });
    },
  };
}
