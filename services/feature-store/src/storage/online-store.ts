import { createHash } from 'node:crypto';
import { AppError, type CallOptions } from '@flywheel/core';
import { type Collection, maxBatchDocuments, type VersionedWrite } from '@flywheel/store';
import { keyIdOf } from '../values/entity-keys.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { KeyScalar } from '../values/feature-values.ts';
import { mapConcurrent } from './map-concurrent.ts';
import type { OnlineRecord, OnlineValue } from './online-records.ts';

/** The newest value per feature of one entity, from a batch of rows. */
export interface EntityUpdate {
  readonly key: readonly KeyScalar[];
  readonly features: Readonly<Record<string, OnlineValue>>;
}

/** The online store: latest value per entity and feature, in the service's document store. */
export interface OnlineStore {
  /**
   * Merges updates into the stored entities: a feature is replaced only by a value at the same or
   * a later event time, so out-of-order rows never regress it and a retry changes nothing.
   * Written a batch of up to 1000 entities at a time: one `getMany`, one `putMany` (MongoDB: one
   * unordered bulkWrite) of the entities that change. Resolves how many entities changed.
   */
  apply(view: string, updates: readonly EntityUpdate[], options?: CallOptions): Promise<number>;
  /** The stored entities, aligned with `keys` (undefined where the entity has no row). */
  read(
    view: string,
    keys: readonly (readonly KeyScalar[])[],
    options?: CallOptions,
  ): Promise<(OnlineRecord | undefined)[]>;
  /** Removes every entity of the view. */
  deleteView(view: string, options?: CallOptions): Promise<void>;
}

const maxIdLength = 512;

/** `<view>/<key JSON>`, or `<view>/#<sha256 of it>` when that would be too long for a document id. */
export function onlineDocId(view: string, key: readonly KeyScalar[]): string {
  const id = `${view}/${keyIdOf(key)}`;
  return id.length <= maxIdLength ? id : `${view}/#${createHash('sha256').update(id).digest('hex')}`;
}

/** Reduces rows to the newest value of each feature per entity (ties: the later row wins). */
export function latestPerEntity(rows: readonly FeatureRowData[]): EntityUpdate[] {
  // Per entity and feature the winning row, not a { value, timeMs } per cell: at a million rows
  // of 50 features the cells, and Object.entries' arrays, were most of ingest's garbage.
  const byEntity = new Map<string, { key: readonly KeyScalar[]; winners: Record<string, FeatureRowData> }>();
  for (const row of rows) {
    const id = keyIdOf(row.key);
    let entity = byEntity.get(id);
    if (!entity) {
      entity = { key: row.key, winners: {} };
      byEntity.set(id, entity);
    }
    const winners = entity.winners;
    for (const name in row.values) {
      const held = winners[name];
      if (!held || row.timeMs >= held.timeMs) winners[name] = row;
    }
  }
  const updates: EntityUpdate[] = [];
  for (const { key, winners } of byEntity.values()) {
    const features: Record<string, OnlineValue> = {};
    for (const name in winners) {
      const row = winners[name]!;
      features[name] = { value: row.values[name]!, timeMs: row.timeMs };
    }
    updates.push({ key, features });
  }
  return updates;
}

/** How often a batch re-reads and retries the entities another writer changed meanwhile. */
const maxAttempts = 20;

/**
 * `update` merged into what `current` holds, or undefined when that changes nothing: a feature
 * is replaced only by a value at the same or a later event time (equal time and value: no change).
 */
function merged(
  view: string,
  current: OnlineRecord | undefined,
  update: EntityUpdate,
): OnlineRecord | undefined {
  const features: Record<string, OnlineValue> = { ...current?.features };
  let dirty = current === undefined;
  for (const [name, next] of Object.entries(update.features)) {
    const held = features[name];
    if (held && held.timeMs > next.timeMs) continue;
    if (held && held.timeMs === next.timeMs && JSON.stringify(held.value) === JSON.stringify(next.value))
      continue;
    features[name] = next;
    dirty = true;
  }
  return dirty ? { view, key: [...update.key], features } : undefined;
}

/** The online store over its collection (`online-values`). */
export function createOnlineStore(collection: Collection<OnlineRecord>): OnlineStore {
  /**
   * One batch of distinct entities: one read of them all, one bulk write of those that change;
   * the ones another writer changed in between are read and merged again.
   */
  const applyBatch = async (
    view: string,
    batch: ReadonlyMap<string, EntityUpdate>,
    options: CallOptions,
  ): Promise<number> => {
    let changed = 0;
    let pending = [...batch.keys()];
    for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
      const current = await collection.getMany(pending, options);
      const writes: VersionedWrite<OnlineRecord>[] = [];
      for (const [i, id] of pending.entries()) {
        const next = merged(view, current[i]?.data, batch.get(id)!);
        if (next) writes.push({ id, data: next, expectedVersion: current[i]?.version ?? 0 });
      }
      if (writes.length === 0) return changed;
      const outcomes = await collection.putMany(writes, options);
      pending = [];
      for (const [i, outcome] of outcomes.entries()) {
        if (!(outcome instanceof AppError)) changed++;
        else pending.push(writes[i]!.id);
      }
    }
    if (pending.length > 0) {
      throw new AppError(
        'aborted',
        `${collection.name}/${pending[0]} is being changed concurrently; try again`,
      );
    }
    return changed;
  };

  return {
    async apply(view, updates, options = {}) {
      let changed = 0;
      // Batches of distinct ids (putMany refuses an id twice): a repeated entity is merged into the
      // update already in the batch, as applying them one after the other would.
      let batch = new Map<string, EntityUpdate>();
      for (const update of updates) {
        const id = onlineDocId(view, update.key);
        const held = batch.get(id);
        if (held) {
          batch.set(id, {
            key: held.key,
            features:
              merged(view, { view, key: held.key, features: held.features }, update)?.features ??
              held.features,
          });
          continue;
        }
        batch.set(id, update);
        if (batch.size === maxBatchDocuments) {
          changed += await applyBatch(view, batch, options);
          batch = new Map();
        }
      }
      if (batch.size > 0) changed += await applyBatch(view, batch, options);
      return changed;
    },

    async read(view, keys, options = {}) {
      return mapConcurrent(
        keys,
        16,
        async (key) => (await collection.get(onlineDocId(view, key), options))?.data,
      );
    },

    async deleteView(view, options = {}) {
      for (;;) {
        const docs = await collection.find({ view }, { ...options, limit: 1000 });
        if (docs.length === 0) return;
        await mapConcurrent(docs, 16, (doc) => collection.delete(doc.id, options));
      }
    },
  };
}
