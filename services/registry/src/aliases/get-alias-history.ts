import { decodePageToken, encodePageToken, pageSizeOf } from '@flywheel/rpc';
import { readModel } from '../records/read-model.ts';
import type { AliasChangeRecord, RegistryCollections } from '../records/registry-records.ts';
import { readAliasHistory } from './alias-history.ts';

/**
 * GetAliasHistory: every move of one alias (or of all of a model's aliases), newest first, paged
 * (the token is the last change's sequence number). Throws `not_found` for an unknown model,
 * `invalid_argument` naming `page_token` for a token from another query.
 */
export function createGetAliasHistory(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function getAliasHistory(
    input: { modelName: string; alias: string; pageSize: number; pageToken: string },
    signal: AbortSignal,
  ): Promise<{ changes: AliasChangeRecord[]; nextPageToken: string }> {
    const query = `alias-history|${input.modelName}|${input.alias}`;
    const beforeSeq = decodePageToken(input.pageToken, 'number', query);
    const model = await readModel(collections, input.modelName, signal);
    const { changes, more } = await readAliasHistory(
      collections,
      model.data,
      {
        alias: input.alias,
        limit: pageSizeOf(input.pageSize, 500),
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
      },
      signal,
    );
    const last = changes.at(-1);
    return { changes, nextPageToken: more && last ? encodePageToken(last.seq, query) : '' };
  };
}
