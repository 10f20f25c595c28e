import type { CallOptions } from '@flywheel/core';
import type { Collection, Doc } from '@flywheel/store';
import type { FeatureStoreCollections } from './feature-store-collections.ts';

/** Catalog reads for the online path, kept for a while (see {@link createCatalogCache}). */
export interface CatalogCache {
  /**
   * The service's collections, except that `get` of the catalog ones (`views`, `onDemandViews`,
   * `featureServices`) is answered from the cache; every other call goes to the store.
   */
  readonly collections: FeatureStoreCollections;
  /** Forgets everything: called whenever this replica changes the catalog. */
  clear(): void;
}

/**
 * Caches catalog documents by id for `ttlMs` (0: no caching), misses included, so an online
 * lookup reads no definition from the store — one round trip and one deep copy fewer per view
 * per request. Like Feast's registry `cache_ttl_seconds`: a change made through another replica
 * is seen here within `ttlMs`; this replica {@link CatalogCache.clear}s on its own changes, so
 * they are seen at once. Readers share the cached documents and must not mutate them (not frozen:
 * V8 reads frozen objects' properties several times slower).
 */
export function createCatalogCache(
  collections: FeatureStoreCollections,
  ttlMs: number,
  now: () => number = Date.now,
): CatalogCache {
  const clears: (() => void)[] = [];
  const cached = <T extends object>(collection: Collection<T>): Collection<T> => {
    if (ttlMs <= 0) return collection;
    const entries = new Map<string, { at: number; doc: Promise<Doc<T> | undefined> }>();
    clears.push(() => entries.clear());
    return {
      name: collection.name,
      get(id: string, options?: CallOptions) {
        const at = now();
        const held = entries.get(id);
        if (held && at - held.at < ttlMs) return held.doc;
        options?.signal?.throwIfAborted();
        // Shared by every request asking meanwhile, so not cancelled with the first one's signal.
        const doc = collection.get(id);
        entries.set(id, { at, doc });
        // A failed read is not kept: the next request asks the store again.
        doc.catch(() => {
          if (entries.get(id)?.doc === doc) entries.delete(id);
        });
        return doc;
      },
      getMany: (ids, options) => collection.getMany(ids, options),
      put: (id, data, options) => collection.put(id, data, options),
      putMany: (writes, options) => collection.putMany(writes, options),
      delete: (id, options) => collection.delete(id, options),
      find: (filter, options) => collection.find(filter, options),
    };
  };
  return {
    collections: {
      ...collections,
      views: cached(collections.views),
      onDemandViews: cached(collections.onDemandViews),
      featureServices: cached(collections.featureServices),
    },
    clear: () => {
      for (const clearOne of clears) clearOne();
    },
  };
}
