import { decodePageToken, encodePageToken, pageSizeOf } from '@flywheel/rpc';
import type { Collection, Scalar } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';

export interface ListDeploymentsQuery {
  /** 0 means the default page size (50); capped at 1000 (see pageSizeOf in @flywheel/rpc). */
  pageSize: number;
  /** From the previous page's `nextPageToken`; "" for the first page. */
  pageToken: string;
  /** Only this team's; "" for all. */
  team: string;
  /** Only deployments of this model; "" for all. */
  modelName: string;
}

export interface DeploymentPage {
  deployments: DeploymentRecord[];
  /** "" on the last page. */
  nextPageToken: string;
}

/**
 * Deployments by name, filtered by team and model.
 *
 * @throws AppError invalid_argument (field "page_token") for a token this service did not issue.
 */
export type ListDeployments = (
  query: ListDeploymentsQuery,
  options: { signal: AbortSignal },
) => Promise<DeploymentPage>;

export function createListDeployments(deps: { deployments: Collection<DeploymentRecord> }): ListDeployments {
  return async (query, { signal }) => {
    const pageSize = pageSizeOf(query.pageSize);
    const offset = decodePageToken(query.pageToken, 'number') ?? 0;
    const filter: Record<string, Scalar> = {};
    if (query.team) filter.team = query.team;
    if (query.modelName) filter.modelName = query.modelName;
    // The store filters by equality only, so a page is found by position; one more tells whether a next page exists.
    const docs = await deps.deployments.find(filter, {
      limit: Math.min(offset + pageSize + 1, 10_000),
      signal,
    });
    const page = docs.slice(offset, offset + pageSize);
    const more = docs.length > offset + pageSize;
    return {
      deployments: page.map((doc) => doc.data),
      nextPageToken: more ? encodePageToken(offset + pageSize) : '',
    };
  };
}
