import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { AnswerSizeHintsOf, ImplOf } from '@flywheel/rpc';
import { toHistoricalRows } from '../datasets/historical-table-encoding.ts';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import { toTrainingSetMessage } from '../storage/training-set-records.ts';
import type { ApplyFeatureView } from '../use-cases/apply-feature-view.ts';
import type { CreateTrainingSet } from '../use-cases/create-training-set.ts';
import type { DeleteFeatureView } from '../use-cases/delete-feature-view.ts';
import type { RetrieveHistoricalFeatures } from '../use-cases/get-historical-features.ts';
import type { GetOnlineFeatures } from '../use-cases/get-online-features.ts';
import { getTrainingSet } from '../use-cases/get-training-set.ts';
import type { IngestRows } from '../use-cases/ingest-rows.ts';
import { listFeatureViews } from '../use-cases/list-feature-views.ts';
import type { MaterializeFeatureViews } from '../use-cases/materialize-feature-views.ts';
import { toFeatureViewMessage } from '../values/feature-view-records.ts';

export interface FeatureStoreApiDeps {
  collections: FeatureStoreCollections;
  applyFeatureView: ApplyFeatureView;
  deleteFeatureView: DeleteFeatureView;
  ingestRows: IngestRows;
  getOnlineFeatures: GetOnlineFeatures;
  retrieveHistoricalFeatures: RetrieveHistoricalFeatures;
  createTrainingSet: CreateTrainingSet;
  materialize: MaterializeFeatureViews;
  /** The gRPC message limit, bytes: historical entity frames whose rows alone exceed it are refused before the join. */
  maxMessageBytes: number;
}

/**
 * What the RPC server's too-large-answer error names for the two reads whose answers grow with the
 * request: pass as `server.add(FeatureStoreService, api, { answerSizeHints })`.
 */
export const featureStoreAnswerSizeHints: AnswerSizeHintsOf<typeof FeatureStoreService> = {
  getOnlineFeatures: { field: 'entity_keys', instead: 'ask for fewer entity keys or features per call' },
  getHistoricalFeatures: {
    field: 'entity_dataframe',
    instead: 'use CreateTrainingSet, which writes the rows to a blob, or a smaller entity_dataframe',
  },
};

/**
 * The FeatureStoreService handlers: request → use case → response. GetOnlineFeatures and
 * GetHistoricalFeatures answers over the message limit are refused by the RPC server with
 * {@link featureStoreAnswerSizeHints}; historical ones before the join when the row count alone
 * is too many (`maxMessageBytes`).
 */
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
      const counts = await deps.ingestRows.ingest(request, { signal });
      return { rowsWritten: BigInt(counts.rowsWritten), rowsRejected: BigInt(counts.rowsRejected) };
    },

    async ingestStream(requests, { signal }) {
      const counts = await deps.ingestRows.ingestStream(requests, { signal });
      return { rowsWritten: BigInt(counts.rowsWritten), rowsRejected: BigInt(counts.rowsRejected) };
    },

    async getOnlineFeatures(request, { signal }) {
      return deps.getOnlineFeatures(request, { signal });
    },

    async getHistoricalFeatures(request, { signal }) {
      const table = await deps.retrieveHistoricalFeatures(
        {
          features: request.features,
          entityDataframe: request.entityDataframe,
          maxAnswerBytes: deps.maxMessageBytes,
        },
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
