import { AppError, type CallOptions } from '@flywheel/core';
import type { Scalar } from '@flywheel/store';
import type { FeatureStoreCollections } from './feature-store-collections.ts';
import type { FeatureViewRecord } from './feature-view-records.ts';

export interface ListFeatureViewsQuery {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly team: string;
  readonly entityName: string;
}

export interface FeatureViewPage {
  readonly views: readonly FeatureViewRecord[];
  /** '' on the last page. */
  readonly nextPageToken: string;
}

const defaultPageSize = 50;
const maxPageSize = 1000;
const maxViews = 10_000;

/**
 * ListFeatureViews: views by name, optionally of one team and/or entity, `page_size` at a time
 * (0 = 50, at most 1000). `page_token` is the opaque token of the previous page; a malformed one is
 * `invalid_argument` naming `page_token`.
 */
export async function listFeatureViews(
  collections: FeatureStoreCollections,
  query: ListFeatureViewsQuery,
  options: CallOptions = {},
): Promise<FeatureViewPage> {
  const pageSize = Math.min(query.pageSize || defaultPageSize, maxPageSize);
  const after = query.pageToken ? decodeToken(query.pageToken) : '';
  const filter: Record<string, Scalar> = {};
  if (query.team) filter.team = query.team;
  if (query.entityName) filter.entityName = query.entityName;
  const docs = await collections.views.find(filter, { ...options, limit: maxViews });
  const remaining = docs.map((d) => d.data).filter((v) => v.name > after);
  const views = remaining.slice(0, pageSize);
  const nextPageToken = remaining.length > pageSize ? encodeToken(views.at(-1)!.name) : '';
  return { views, nextPageToken };
}

function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // answered below
  }
  throw AppError.invalidArgument('page_token', 'is not a token this server issued');
}
