import { AppError } from '@flywheel/core';
import type { Collection, Scalar } from '@flywheel/store';
import type { DeploymentRecord } from './deployment-records.ts';

export interface ListDeploymentsQuery {
  /** 0 means {@link defaultPageSize}; capped at {@link maxPageSize}. */
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

export const defaultPageSize = 50;
export const maxPageSize = 1000;

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
    const pageSize = Math.min(query.pageSize || defaultPageSize, maxPageSize);
    const offset = offsetOf(query.pageToken);
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
      nextPageToken: more ? tokenOf(offset + pageSize) : '',
    };
  };
}

function tokenOf(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function offsetOf(token: string): number {
  if (token === '') return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw AppError.invalidArgument('page_token', 'is not a token from a previous ListDeployments page');
}
