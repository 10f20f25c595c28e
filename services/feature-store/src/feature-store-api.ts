import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { ImplOf } from '@flywheel/rpc';
import type { ApplyFeatureView } from './apply-feature-view.ts';
import type { CreateTrainingSet } from './create-training-set.ts';
import type { DeleteFeatureView } from './delete-feature-view.ts';
import type { FeatureStoreCollections } from './feature-store-collections.ts';
import { toFeatureViewMessage } from './feature-view-records.ts';
import type { RetrieveHistoricalFeatures } from './get-historical-features.ts';
import type { GetOnlineFeatures } from './get-online-features.ts';
import { getTrainingSet } from './get-training-set.ts';
import { toHistoricalRows } from './historical-table-encoding.ts';
import type { IngestRows } from './ingest-rows.ts';
import { listFeatureViews } from './list-feature-views.ts';
import { loadFeatureView } from './load-feature-view.ts';
import type { MaterializeFeatureViews } from './materialize-feature-views.ts';
import { toTrainingSetMessage } from './training-set-records.ts';

export interface FeatureStoreApiDeps {
  collections: FeatureStoreCollections;
  applyFeatureView: ApplyFeatureView;
  deleteFeatureView: DeleteFeatureView;
  ingestRows: IngestRows;
  getOnlineFeatures: GetOnlineFeatures;
  retrieveHistoricalFeatures: RetrieveHistoricalFeatures;
  createTrainingSet: CreateTrainingSet;
  materialize: MaterializeFeatureViews;
}

/** The FeatureStoreService handlers: request → use case → response, nothing else. */
export function createFeatureStoreApi(deps: FeatureStoreApiDeps): ImplOf<typeof FeatureStoreService> {
  const { collections } = deps;
  return {
    async applyFeatureView(request, { signal }) {
      const { view, changed } = await deps.applyFeatureView(request.featureView, { signal });
      return { featureView: toFeatureViewMessage(view), changed };
    },

    async getFeatureView(request, { signal }) {
      const view = await loadFeatureView(
        collections.views,
        request.featureViewName,
        { signal },
        'feature_view_name',
      );
      return { featureView: toFeatureViewMessage(view) };
    },

    async listFeatureViews(request, { signal }) {
      const page = await listFeatureViews(collections, request, { signal });
      return { featureViews: page.views.map(toFeatureViewMessage), nextPageToken: page.nextPageToken };
    },

    async deleteFeatureView(request, { signal }) {
      await deps.deleteFeatureView(request.featureViewName, { signal });
      return {};
    },

    async ingest(request, { signal }) {
      return { rowsWritten: BigInt(await deps.ingestRows.ingest(request, { signal })) };
    },

    async ingestStream(requests, { signal }) {
      return { rowsWritten: BigInt(await deps.ingestRows.ingestStream(requests, { signal })) };
    },

    async getOnlineFeatures(request, { signal }) {
      return deps.getOnlineFeatures(request, { signal });
    },

    async getHistoricalFeatures(request, { signal }) {
      const table = await deps.retrieveHistoricalFeatures(
        { features: request.features, entityDataframe: request.entityDataframe },
        { signal },
      );
      return { columns: [...table.columns], rows: toHistoricalRows(table) };
    },

    async createTrainingSet(request, { signal }) {
      return { trainingSet: toTrainingSetMessage(await deps.createTrainingSet(request, { signal })) };
    },

    async getTrainingSet(request, { signal }) {
      return {
        trainingSet: toTrainingSetMessage(
          await getTrainingSet(collections, request.trainingSetId, { signal }),
        ),
      };
    },

    async materialize(request, { signal }) {
      return { results: await deps.materialize(request, { signal }) };
    },
  };
}
