import { decodePageToken, encodePageToken, pageSizeOf, type TeamCondition } from '@flywheel/rpc';
import type { Doc } from '@flywheel/store';
import type { ModelRecord, RegistryCollections } from '../records/registry-records.ts';

export interface ListModelsInput {
  pageSize: number;
  pageToken: string;
  /** Only this team's models (or these teams'); empty for all. */
  team: TeamCondition;
  namePrefix: string;
}

/**
 * ListModels: by name, paged (the token is the last name served). A page is one keyset query
 * of `page_size + 1` models from the store (names ≥ the prefix, after the token), never a scan.
 * Throws `invalid_argument` naming `page_token` for a token from another query.
 */
export function createListModels(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function listModels(
    input: ListModelsInput,
    signal: AbortSignal,
  ): Promise<{ models: Doc<ModelRecord>[]; nextPageToken: string }> {
    const query = `models|${JSON.stringify(input.team)}|${input.namePrefix}`;
    const after = decodePageToken(input.pageToken, 'string', query);
    const size = pageSizeOf(input.pageSize, 500);
    const found = await collections.models.find(input.team !== '' ? { team: input.team } : {}, {
      limit: size + 1,
      signal,
      ...(after === undefined ? {} : { after: { id: after } }),
      ...(input.namePrefix ? { idRange: { gte: input.namePrefix } } : {}),
    });
    // Sorted by name from the prefix on: the names that start with it come first, together.
    const outside = found.findIndex((m) => !m.id.startsWith(input.namePrefix));
    const matching = outside < 0 ? found : found.slice(0, outside);
    const models = matching.slice(0, size);
    const last = models.at(-1);
    return {
      models,
      nextPageToken: matching.length > size && last ? encodePageToken(last.id, query) : '',
    };
  };
}
