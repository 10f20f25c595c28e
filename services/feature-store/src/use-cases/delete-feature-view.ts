import type { CallOptions, Logger } from '@flywheel/core';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import type { OfflineStore } from '../storage/offline-store.ts';
import type { OnlineStore } from '../storage/online-store.ts';

export interface DeleteFeatureViewDeps {
  collections: FeatureStoreCollections;
  online: OnlineStore;
  offline: OfflineStore;
  log: Logger;
}

/** Deletes a view and its stored values. */
export type DeleteFeatureView = (name: string, options?: CallOptions) => Promise<void>;

/**
 * DeleteFeatureView: removes the view's online values, its offline chunk blobs and their index, then
 * the definition itself — last, so an interrupted delete leaves a view that can be deleted again
 * rather than orphaned data. `not_found` naming `feature_view_name` when there is no such view.
 */
export function createDeleteFeatureView(deps: DeleteFeatureViewDeps): DeleteFeatureView {
  const { collections, online, offline, log } = deps;
  return async (name, options = {}) => {
    await loadFeatureView(collections.views, name, options, 'feature_view_name');
    await online.deleteView(name, options);
    const data = await collections.viewData.get(name, options);
    if (data) {
      await offline.deleteChunks(data.data.chunks, options);
      await collections.viewData.delete(name, options);
    }
    await collections.views.delete(name, options);
    log.info('feature view deleted', { featureView: name, chunks: data?.data.chunks.length ?? 0 });
  };
}
