import { AppError, isAppError } from '@flywheel/core';
import type { AliasChangeRecord, ModelRecord, RegistryCollections } from '../records/registry-records.ts';

// A model's alias history lives on the model document, so that an alias move, its history entry
// and its event are one write. To keep that document small, the oldest entries are moved into
// immutable chunk documents once the recent list holds two chunks' worth: the chunk is written
// create-only first, then the model write that drops those entries and counts the chunk. The
// chunk's content is fixed by the committed history alone, so a chunk left by a writer that lost
// its compare-and-set (or crashed) is exactly the chunk the next writer would write.

/** Alias changes per archived chunk. */
export const historyChunkSize = 100;

type HistoryFields = Pick<ModelRecord, 'aliasHistory' | 'aliasChangeCount' | 'archivedHistoryChunks'>;

/**
 * The history fields of `model` with `change` appended (its `seq` assigned), archiving the oldest
 * chunk first when due. The caller writes the returned fields with compare-and-set.
 */
export async function appendAliasChange(
  collections: RegistryCollections,
  model: ModelRecord,
  change: Omit<AliasChangeRecord, 'seq'>,
  signal: AbortSignal,
): Promise<HistoryFields & { change: AliasChangeRecord }> {
  const recorded: AliasChangeRecord = { seq: model.aliasChangeCount + 1, ...change };
  let recent = [...model.aliasHistory, recorded];
  let archived = model.archivedHistoryChunks;
  if (model.aliasHistory.length >= 2 * historyChunkSize) {
    const changes = model.aliasHistory.slice(0, historyChunkSize);
    try {
      await collections.aliasHistory.put(
        chunkId(model.name, archived),
        { modelName: model.name, chunk: archived, changes },
        { expectedVersion: 0, signal },
      );
    } catch (thrown) {
      if (!isAppError(thrown, 'already_exists')) throw thrown;
    }
    recent = recent.slice(historyChunkSize);
    archived += 1;
  }
  return {
    aliasHistory: recent,
    aliasChangeCount: recorded.seq,
    archivedHistoryChunks: archived,
    change: recorded,
  };
}

export interface ReadAliasHistoryOptions {
  /** Only this alias; empty or undefined for all. */
  alias?: string;
  /** Only changes with a smaller `seq` (the previous page's last). */
  beforeSeq?: number;
  /** At most this many. */
  limit: number;
}

/**
 * Alias changes of `model` (as read: one consistent snapshot), newest first, and whether more
 * match beyond `limit`.
 */
export async function readAliasHistory(
  collections: RegistryCollections,
  model: ModelRecord,
  options: ReadAliasHistoryOptions,
  signal: AbortSignal,
): Promise<{ changes: AliasChangeRecord[]; more: boolean }> {
  const { alias, beforeSeq = Number.POSITIVE_INFINITY, limit } = options;
  const out: AliasChangeRecord[] = [];
  const take = (entries: readonly AliasChangeRecord[]): boolean => {
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      if (entry.seq >= beforeSeq || (alias && entry.alias !== alias)) continue;
      if (out.length === limit) return true;
      out.push(entry);
    }
    return false;
  };
  if (take(model.aliasHistory)) return { changes: out, more: true };
  for (let chunk = model.archivedHistoryChunks - 1; chunk >= 0; chunk--) {
    if (chunk * historyChunkSize + 1 >= beforeSeq) continue;
    const stored = await collections.aliasHistory.get(chunkId(model.name, chunk), { signal });
    if (!stored) {
      throw new AppError('data_loss', `alias history chunk ${chunk} of model "${model.name}" is missing`);
    }
    if (take(stored.data.changes)) return { changes: out, more: true };
  }
  return { changes: out, more: false };
}

function chunkId(modelName: string, chunk: number): string {
  return `${modelName}/${chunk}`;
}
