import type { CallOptions } from '@flywheel/core';
import { decodePageToken, encodePageToken, type TeamCondition } from '@flywheel/rpc';
import type { FieldCondition } from '@flywheel/store';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';

export interface ListFeatureViewsQuery {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly team: TeamCondition;
  readonly entityName: string;
}

export interface FeatureViewPage {
  readonly views: readonly FeatureViewRecord[];
  /** '' on the last page. */
  readonly nextPageToken: string;
}

const defaultPageSize = 50;
const maxPageSize = 1000;

/**
 * ListFeatureViews: views by name, optionally of one team and/or entity, `page_size` at a time
 * (0 = 50, at most 1000). `page_token` is the opaque token of the previous page (the last name
 * served; a view's id is its name); a malformed one is `invalid_argument` naming `page_token`. A page
 * is one keyset query of `page_size + 1` views from the store.
 */
export async function listFeatureViews(
  collections: FeatureStoreCollections,
  query: ListFeatureViewsQuery,
  options: CallOptions = {},
): Promise<FeatureViewPage> {
  const pageSize = Math.min(query.pageSize || defaultPageSize, maxPageSize);
  const after = decodePageToken(query.pageToken, 'string') ?? '';
  const filter: Record<string, FieldCondition> = {};
  if (query.team !== '') filter.team = query.team;
  if (query.entityName) filter.entityName = query.entityName;
  const docs = await collections.views.find(filter, {
    ...options,
    limit: pageSize + 1,
    ...(after === '' ? {} : { after: { id: after } }),
  });
  const remaining = docs.map((d) => d.data);
  const views = remaining.slice(0, pageSize);
  const nextPageToken = remaining.length > pageSize ? encodePageToken(views.at(-1)!.name) : '';
  return { views, nextPageToken };
}
