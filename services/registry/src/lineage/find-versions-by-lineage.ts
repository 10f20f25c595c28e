import { decodePageToken, encodePageToken, pageSizeOf, type TeamCondition } from '@flywheel/rpc';
import type { Doc } from '@flywheel/store';
import {
  type LineageKey,
  lineageKeyOf,
  type RegistryCollections,
  type VersionRecord,
} from '../records/registry-records.ts';

export interface FindVersionsByLineageInput {
  key: LineageKey;
  /** The teams the caller may see (or the one it named); '' for every team. */
  team: TeamCondition;
  pageSize: number;
  pageToken: string;
}

/**
 * FindVersionsByLineage: the versions whose lineage names a training set, feature service (any or
 * one version of it) or code version, by version id, paged (the token is the last id served). A
 * page is one keyset query on the indexed `lineageKeys` and `team`, never a scan. Throws
 * `invalid_argument` naming `page_token` for a token from another query.
 */
export function createFindVersionsByLineage(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function findVersionsByLineage(
    input: FindVersionsByLineageInput,
    signal: AbortSignal,
  ): Promise<{ versions: Doc<VersionRecord>[]; nextPageToken: string }> {
    const key = lineageKeyOf(input.key);
    const query = `lineage|${JSON.stringify(input.team)}|${key}`;
    const after = decodePageToken(input.pageToken, 'string', query);
    const size = pageSizeOf(input.pageSize, 500);
    const found = await collections.versions.find(
      { lineageKeys: key, ...(input.team !== '' ? { team: input.team } : {}) },
      { limit: size + 1, signal, ...(after === undefined ? {} : { after: { id: after } }) },
    );
    const versions = found.slice(0, size);
    const last = versions.at(-1);
    return { versions, nextPageToken: found.length > size && last ? encodePageToken(last.id, query) : '' };
  };
}
