import { AppError } from '@flywheel/core';
import {
  type FeatureStoreService,
  GetOnlineFeaturesResponseSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { ImplOf } from '@flywheel/rpc';
import type { FeatureStoreCollections } from '../storage/feature-store-collections.ts';
import { loadFeatureView } from '../storage/load-feature-view.ts';
import { toTrainingSetMessage } from '../storage/training-set-records.ts';
import type { ApplyFeatureView } from '../use-cases/apply-feature-view.ts';
import type { CreateTrainingSet } from '../use-cases/create-training-set.ts';
import type { DeleteFeatureView } from '../use-cases/delete-feature-view.ts';
import type { FeatureServices } from '../use-cases/feature-services.ts';
import type { GetOnlineFeatures } from '../use-cases/get-online-features.ts';
import { getTrainingSet } from '../use-cases/get-training-set.ts';
import type { HeavyReadGate } from '../use-cases/heavy-read-gate.ts';
import type { RetrieveServiceHistoricalFeatures } from '../use-cases/historical-features-with-on-demand.ts';
import type { IngestRows } from '../use-cases/ingest-rows.ts';
import { listFeatureViews } from '../use-cases/list-feature-views.ts';
import type { MaterializeFeatureViews } from '../use-cases/materialize-feature-views.ts';
import type { OnDemandFeatureViews } from '../use-cases/on-demand-feature-views.ts';
import { toFeatureServiceMessage } from '../values/feature-service-records.ts';
import { toFeatureViewMessage } from '../values/feature-view-records.ts';
import { toOnDemandViewMessage } from '../values/on-demand-view-records.ts';
import { checkAnswerSize } from './answer-size.ts';
import { historicalAnswer, historicalPages } from './historical-answer.ts';

export interface FeatureStoreApiDeps {
  collections: FeatureStoreCollections;
  applyFeatureView: ApplyFeatureView;
  deleteFeatureView: DeleteFeatureView;
  ingestRows: IngestRows;
  getOnlineFeatures: GetOnlineFeatures;
  retrieveHistoricalFeatures: RetrieveServiceHistoricalFeatures;
  onDemand: OnDemandFeatureViews;
  featureServices: FeatureServices;
  createTrainingSet: CreateTrainingSet;
  materialize: MaterializeFeatureViews;
  /** The gRPC message limit, bytes: answers over it are refused naming the field to shrink. */
  maxMessageBytes: number;
  /** Bounds the historical reads and training sets running (and waiting) at once. */
  heavyReads: HeavyReadGate;
}

/**
 * The FeatureStoreService handlers: request → use case → response. GetOnlineFeatures and
 * GetHistoricalFeatures answers over `maxMessageBytes` are `resource_exhausted` naming
 * `entity_keys` / `entity_dataframe` and the limit (historical ones before the join when the row
 * count alone is too many, naming StreamHistoricalFeatures), not a transport failure once the
 * answer is built. Historical reads, their streams and training sets pass `heavyReads`.
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
      return checkAnswerSize(
        GetOnlineFeaturesResponseSchema,
        await deps.getOnlineFeatures(request, { signal }),
        deps.maxMessageBytes,
        'entity_keys',
        'ask for fewer entity keys or features per call',
      );
    },

    async getHistoricalFeatures(request, { signal }) {
      return deps.heavyReads.run(
        async () => {
          const table = await deps.retrieveHistoricalFeatures(
            {
              features: request.features,
              entityDataframe: request.entityDataframe,
              maxAnswerBytes: deps.maxMessageBytes,
              ...(request.featureService ? { featureService: request.featureService } : {}),
            },
            { signal },
          );
          return historicalAnswer(table, deps.maxMessageBytes);
        },
        { signal },
      );
    },

    async *streamHistoricalFeatures(request, { signal }) {
      const release = await deps.heavyReads.acquire({ signal });
      try {
        const table = await deps.retrieveHistoricalFeatures(
          { features: request.features, entityDataframe: request.entityDataframe },
          { signal },
        );
        yield* historicalPages(table, deps.maxMessageBytes);
      } finally {
        release();
      }
    },

    async createTrainingSet(request, { signal }) {
      const record = await deps.heavyReads.run(() => deps.createTrainingSet(request, { signal }), { signal });
      return { trainingSet: toTrainingSetMessage(record) };
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

    async applyOnDemandFeatureView(request, { signal }) {
      const { record, changed } = await deps.onDemand.apply(request.onDemandFeatureView, { signal });
      return { onDemandFeatureView: toOnDemandViewMessage(record), changed };
    },

    async getOnDemandFeatureView(request, { signal }) {
      const found = await deps.onDemand.find(request.name, { signal });
      if (!found) {
        throw new AppError('not_found', `name: on-demand feature view "${request.name}" not found`, {
          field: 'name',
        });
      }
      return { onDemandFeatureView: toOnDemandViewMessage(found.record) };
    },

    async listOnDemandFeatureViews(_request, { signal }) {
      return { onDemandFeatureViews: (await deps.onDemand.list({ signal })).map(toOnDemandViewMessage) };
    },

    async deleteOnDemandFeatureView(request, { signal }) {
      await deps.onDemand.delete(request.name, { signal });
      return {};
    },

    async createFeatureService(request, { signal }) {
      const { name, version, created } = await deps.featureServices.create(request.featureService, {
        signal,
      });
      return { featureService: toFeatureServiceMessage(name, version), created };
    },

    async getFeatureService(request, { signal }) {
      const { name, version } = await deps.featureServices.resolve(
        { name: request.name, version: request.version } as never,
        'name',
        { signal },
      );
      return { featureService: toFeatureServiceMessage(name, version) };
    },

    async listFeatureServices(request, { signal }) {
      const versions = await deps.featureServices.list(request.name, { signal });
      return { featureServices: versions.map((v) => toFeatureServiceMessage(v.name, v.version)) };
    },
  };
}
