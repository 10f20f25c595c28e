import { decodePageToken, encodePageToken, pageSizeOf } from '@flywheel/rpc';
import { readModel, readVersion } from '../records/read-model.ts';
import type { RegistryCollections, StageChangeRecord } from '../records/registry-records.ts';

/** A stage move with the version it moved. */
export interface VersionStageChange extends StageChangeRecord {
  version: number;
}

/**
 * GetStageHistory: the stage moves of one version (`version` ≥ 1) or of every version of the model
 * (0), newest first, paged by position (the history only grows at its newest end, so a page token
 * counts from the oldest and stays valid as moves are added). Throws `not_found` for an unknown
 * model or version, `invalid_argument` naming `page_token` for a token from another query.
 * Reads at most 10 000 versions (the store's find limit).
 */
export function createGetStageHistory(deps: { collections: RegistryCollections }) {
  const { collections } = deps;
  return async function getStageHistory(
    input: { modelName: string; version: number; pageSize: number; pageToken: string },
    signal: AbortSignal,
  ): Promise<{ changes: VersionStageChange[]; nextPageToken: string }> {
    const query = `stage-history|${input.modelName}|${input.version}`;
    const before = decodePageToken(input.pageToken, 'number', query);
    const model = await readModel(collections, input.modelName, signal);
    const versions =
      input.version > 0
        ? [(await readVersion(collections, model, input.version, signal)).data]
        : (await collections.versions.find({ modelName: input.modelName }, { limit: 10_000, signal })).map(
            (doc) => doc.data,
          );
    // Oldest first, so a position names the same change on every page.
    const all = versions
      .flatMap((v) => (v.stageHistory ?? []).map((change) => ({ ...change, version: v.version })))
      .sort((a, b) => a.timeMs - b.timeMs || a.version - b.version);
    const end = before === undefined ? all.length : Math.min(before, all.length);
    const start = Math.max(0, end - pageSizeOf(input.pageSize, 500));
    const changes = all.slice(start, end).reverse();
    return { changes, nextPageToken: start > 0 ? encodePageToken(start, query) : '' };
  };
}
