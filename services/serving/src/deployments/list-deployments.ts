import { decodePageToken, encodePageToken, pageSizeOf, type TeamCondition } from '@flywheel/rpc';
import type { Collection, FieldCondition } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';

export interface ListDeploymentsQuery {
  /** 0 means the default page size (50); capped at 1000 (see pageSizeOf in @flywheel/rpc). */
  pageSize: number;
  /** From the previous page's `nextPageToken`; "" for the first page. */
  pageToken: string;
  /** Only this team's (or these teams'); "" for all. */
  team: TeamCondition;
  /** Only deployments of this model; "" for all. */
  modelName: string;
}

export interface DeploymentPage {
  deployments: DeploymentRecord[];
  /** "" on the last page. */
  nextPageToken: string;
}

/**
 * Deployments by name, filtered by team and model. A page is one keyset query of `page_size + 1`
 * deployments from the store (after the last name of the previous page, which the token holds),
 * however many there are.
 *
 * @throws AppError invalid_argument (field "page_token") for a token this service did not issue
 *   (or issued for another filter).
 */
export type ListDeployments = (
  query: ListDeploymentsQuery,
  options: { signal: AbortSignal },
) => Promise<DeploymentPage>;

export function createListDeployments(deps: { deployments: Collection<DeploymentRecord> }): ListDeployments {
  return async (query, { signal }) => {
    const pageSize = pageSizeOf(query.pageSize);
    // A token belongs to its filter: elsewhere the name it holds would mean nothing.
    const tag = JSON.stringify(['deployments', query.team, query.modelName]);
    const after = decodePageToken(query.pageToken, 'string', tag);
    const filter: Record<string, FieldCondition> = {};
    if (query.team !== '') filter.team = query.team;
    if (query.modelName) filter.modelName = query.modelName;
    // One more than a page tells whether a next page exists.
    const docs = await deps.deployments.find(filter, {
      limit: pageSize + 1,
      signal,
      ...(after === undefined ? {} : { after: { id: after } }),
    });
    const page = docs.slice(0, pageSize);
    const last = page.at(-1);
    return {
      deployments: page.map((doc) => doc.data),
      nextPageToken: docs.length > pageSize && last ? encodePageToken(last.id, tag) : '',
    };
  };
}
