import { createHash } from 'node:crypto';
import type { CallOptions } from '@flywheel/core';
import type { Collection } from '@flywheel/store';
import { keyIdOf } from '../values/entity-keys.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { KeyScalar } from '../values/feature-values.ts';
import { mapConcurrent } from './map-concurrent.ts';
import type { OnlineRecord, OnlineValue } from './online-records.ts';
import { updateDocument } from './update-document.ts';

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
   * Resolves how many entities changed.
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
  const byEntity = new Map<string, { key: readonly KeyScalar[]; features: Record<string, OnlineValue> }>();
  for (const row of rows) {
    const id = keyIdOf(row.key);
    let entity = byEntity.get(id);
    if (!entity) {
      entity = { key: row.key, features: {} };
      byEntity.set(id, entity);
    }
    for (const [name, value] of Object.entries(row.values)) {
      const held = entity.features[name];
      if (!held || row.timeMs >= held.timeMs) entity.features[name] = { value, timeMs: row.timeMs };
    }
  }
  return [...byEntity.values()];
}

/** The online store over its collection (`online-values`). */
export function createOnlineStore(collection: Collection<OnlineRecord>): OnlineStore {
  return {
    async apply(view, updates, options = {}) {
      const changed = await mapConcurrent(updates, 16, async (update) => {
        const written = await updateDocument(
          collection,
          onlineDocId(view, update.key),
          (current) => {
            const features: Record<string, OnlineValue> = { ...current?.data.features };
            let dirty = current === undefined;
            for (const [name, next] of Object.entries(update.features)) {
              const held = features[name];
              if (held && held.timeMs > next.timeMs) continue;
              if (
                held &&
                held.timeMs === next.timeMs &&
                JSON.stringify(held.value) === JSON.stringify(next.value)
              )
                continue;
              features[name] = next;
              dirty = true;
            }
            return dirty ? { data: { view, key: [...update.key], features } } : undefined;
          },
          options,
        );
        return written !== undefined;
      });
      return changed.filter(Boolean).length;
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
