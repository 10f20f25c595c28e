import { newEvent, toOutboxEntry } from '@flywheel/events';
import { ModelAliasChangedSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import type { Doc } from '@flywheel/store';
import { eventSource } from '../records/materialize-version.ts';
import { principalMessage } from '../records/registry-messages.ts';
import {
  type AliasChangeRecord,
  type ModelRecord,
  type PrincipalRecord,
  type RegistryCollections,
  toPairs,
} from '../records/registry-records.ts';
import { appendAliasChange } from './alias-history.ts';

export interface AliasMove {
  alias: string;
  /** Where it points now; 0 deletes it. */
  toVersion: number;
  reason: string;
  principal: PrincipalRecord;
}

/**
 * Moves (or deletes) an alias on the model document read as `model`: the new alias map, the
 * history entry and the `model.alias-changed` event in ONE compare-and-set write. Throws `aborted`
 * when the model changed since it was read (retry from the read).
 */
export async function writeAliasChange(
  collections: RegistryCollections,
  model: Doc<ModelRecord>,
  move: AliasMove,
  signal: AbortSignal,
): Promise<{ model: Doc<ModelRecord>; change: AliasChangeRecord }> {
  const aliases = new Map(model.data.aliases);
  const previousVersion = aliases.get(move.alias) ?? 0;
  if (move.toVersion === 0) aliases.delete(move.alias);
  else aliases.set(move.alias, move.toVersion);
  const now = Date.now();
  const history = await appendAliasChange(
    collections,
    model.data,
    {
      alias: move.alias,
      previousVersion,
      version: move.toVersion,
      reason: move.reason,
      timeMs: now,
      principal: move.principal,
    },
    signal,
  );
  const event = newEvent(
    ModelAliasChangedSchema,
    {
      modelName: model.id,
      alias: move.alias,
      modelVersion: BigInt(move.toVersion),
      previousVersion: BigInt(previousVersion),
      team: model.data.team,
      reason: move.reason,
      principal: principalMessage(move.principal),
    },
    { source: eventSource, time: new Date(now) },
  );
  const written = await collections.models.put(
    model.id,
    {
      ...model.data,
      aliases: toPairs(aliases),
      aliasHistory: history.aliasHistory,
      aliasChangeCount: history.aliasChangeCount,
      archivedHistoryChunks: history.archivedHistoryChunks,
      updateTimeMs: now,
      updatedBy: move.principal,
    },
    { expectedVersion: model.version, outbox: [toOutboxEntry(event)], signal },
  );
  return { model: written, change: history.change };
}
