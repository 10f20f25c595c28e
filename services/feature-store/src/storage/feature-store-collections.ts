import type { Collection, DocumentStore } from '@flywheel/store';
import type { FeatureServiceRecord } from '../values/feature-service-records.ts';
import { type FeatureViewRecord, featureViewIndexes } from '../values/feature-view-records.ts';
import type { OnDemandViewRecord } from '../values/on-demand-view-records.ts';
import type { ViewDataRecord } from './offline-records.ts';
import { type OnlineRecord, onlineIndexes } from './online-records.ts';
import type { QualityFlushRecord } from './quality-flush-records.ts';
import type { TrainingSetRecord } from './training-set-records.ts';

/** The collections of the feature store's own document store. */
export interface FeatureStoreCollections {
  /** Catalog: one document per feature view, id = name. */
  readonly views: Collection<FeatureViewRecord>;
  /** Per view: offline chunk index, ingested datasets, materialization mark; carries the outbox. */
  readonly viewData: Collection<ViewDataRecord>;
  /** Online store: latest values per entity, id `<view>/<entity key>`. */
  readonly online: Collection<OnlineRecord>;
  readonly trainingSets: Collection<TrainingSetRecord>;
  /** Per view: flushes of online-read quality tallies; carries their `data-quality.violated` events. */
  readonly qualityFlushes: Collection<QualityFlushRecord>;
  /** On-demand feature views, id = name (one namespace with `views`). */
  readonly onDemandViews: Collection<OnDemandViewRecord>;
  /** Feature services, id = name, holding every (immutable) version. */
  readonly featureServices: Collection<FeatureServiceRecord>;
}

/** Opens the feature store's collections with the indexes their queries need. */
export function openCollections(store: DocumentStore): FeatureStoreCollections {
  return {
    views: store.collection<FeatureViewRecord>('feature-views', { indexes: featureViewIndexes }),
    viewData: store.collection<ViewDataRecord>('view-data'),
    online: store.collection<OnlineRecord>('online-values', { indexes: onlineIndexes }),
    trainingSets: store.collection<TrainingSetRecord>('training-sets'),
    qualityFlushes: store.collection<QualityFlushRecord>('quality-flushes'),
    onDemandViews: store.collection<OnDemandViewRecord>('on-demand-views', { indexes: ['team'] }),
    featureServices: store.collection<FeatureServiceRecord>('feature-services'),
  };
}
