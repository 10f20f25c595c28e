import { decodePageToken, encodePageToken, pageSizeOf } from '@flywheel/rpc';
import type { Doc } from '@flywheel/store';
import { readModel, readVersion } from '../records/read-model.ts';
import type {
  ModelRecord,
  RegistryCollections,
  StageName,
  VersionRecord,
} from '../records/registry-records.ts';

export interface ListVersionsInput {
  modelName: string;
  pageSize: number;
  pageToken: string;
  /** Only versions in this stage; undefined for all. */
  stage: StageName | undefined;
}

/**
 * ListVersions: a model's versions newest first, paged (the token is the last version served).
 * Throws `not_found` for an unknown model, `invalid_argument` naming `page_token` for a token from
 * another query.
 */
export function createListVersions(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function listVersions(
    input: ListVersionsInput,
    signal: AbortSignal,
  ): Promise<{ model: Doc<ModelRecord>; versions: VersionRecord[]; nextPageToken: string }> {
    const query = `versions|${input.modelName}|${input.stage ?? ''}`;
    const before = decodePageToken(input.pageToken, 'number', query);
    const size = pageSizeOf(input.pageSize, 500);
    const model = await readModel(collections, input.modelName, signal);
    const top = Math.min(model.data.latestVersion, (before ?? Number.POSITIVE_INFINITY) - 1);
    let versions: VersionRecord[];
    let more: boolean;
    if (input.stage === undefined) {
      // Numbers run 1…latestVersion without gaps, so a page is a range of ids.
      const numbers = Array.from({ length: Math.max(0, Math.min(size, top)) }, (_, i) => top - i);
      versions = await Promise.all(
        numbers.map(async (n) => (await readVersion(collections, model, n, signal)).data),
      );
      more = top - numbers.length > 0;
    } else {
      // Claimed versions are still in stage NONE; write them so the query sees them.
      for (const claim of model.data.claims) await readVersion(collections, model, claim.version, signal);
      // One keyset query: this stage's versions at or below `top`, newest first, one past the page.
      const found = await collections.versions.find(
        { modelName: input.modelName, stage: input.stage, version: { lte: top } },
        { sortBy: 'version', descending: true, limit: size + 1, signal },
      );
      const matching = found.map((d) => d.data);
      versions = matching.slice(0, size);
      more = matching.length > size;
    }
    const last = versions.at(-1);
    return { model, versions, nextPageToken: more && last ? encodePageToken(last.version, query) : '' };
  };
}
