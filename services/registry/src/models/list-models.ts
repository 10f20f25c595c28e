import { decodePageToken, encodePageToken, pageSizeOf } from '@flywheel/rpc';
import type { Doc } from '@flywheel/store';
import type { ModelRecord, RegistryCollections } from '../records/registry-records.ts';

/** Models one query scans at most; the store's find limit. */
const scanLimit = 10_000;

export interface ListModelsInput {
  pageSize: number;
  pageToken: string;
  /** Only this team's models; empty for all. */
  team: string;
  namePrefix: string;
}

/**
 * ListModels: by name, paged (the token is the last name served). Throws `invalid_argument`
 * naming `page_token` for a token from another query.
 */
export function createListModels(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function listModels(
    input: ListModelsInput,
    signal: AbortSignal,
  ): Promise<{ models: Doc<ModelRecord>[]; nextPageToken: string }> {
    const query = `models|${input.team}|${input.namePrefix}`;
    const after = decodePageToken(input.pageToken, 'string', query);
    const size = pageSizeOf(input.pageSize, 500);
    const all = await collections.models.find(input.team ? { team: input.team } : {}, {
      limit: scanLimit,
      signal,
    });
    const matching = all.filter(
      (m) => m.id.startsWith(input.namePrefix) && (after === undefined || m.id > after),
    );
    const models = matching.slice(0, size);
    const last = models.at(-1);
    return {
      models,
      nextPageToken: matching.length > size && last ? encodePageToken(last.id, query) : '',
    };
  };
}
