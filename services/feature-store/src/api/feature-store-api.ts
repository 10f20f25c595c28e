import { AppError } from '@flywheel/core';
import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { type AnswerSizeHintsOf, type ImplOf, listedTeams } from '@flywheel/rpc';
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
import { historicalAnswer, historicalInstead, historicalPages } from './historical-answer.ts';

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
  /** The gRPC message limit, bytes: historical entity frames whose rows alone exceed it are refused before the join. */
  maxMessageBytes: number;
  /** Bounds the historical reads and training sets running (and waiting) at once. */
  heavyReads: HeavyReadGate;
}

/**
 * What the RPC server's too-large-answer error names for the two reads whose answers grow with the
 * request: pass as `server.add(FeatureStoreService, api, { answerSizeHints })`.
 */
export const featureStoreAnswerSizeHints: AnswerSizeHintsOf<typeof FeatureStoreService> = {
  getOnlineFeatures: { field: 'entity_keys', instead: 'ask for fewer entity keys or features per call' },
  getHistoricalFeatures: {
    field: 'entity_dataframe',
    instead: historicalInstead,
  },
};

/**
 * The FeatureStoreService handlers: request → use case → response. GetOnlineFeatures and
 * GetHistoricalFeatures answers over the message limit are refused by the RPC server with
 * {@link featureStoreAnswerSizeHints}; historical ones before the join when the row count alone
 * is too many (`maxMessageBytes`), naming StreamHistoricalFeatures. Historical reads, their streams
 * and training sets pass `heavyReads`.
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

    async listFeatureViews(request, ctx) {
      // Only teams the caller may view (the policy checked a named one).
      const team = listedTeams(ctx.principal, request.team);
      const page = await listFeatureViews(collections, { ...request, team }, { signal: ctx.signal });
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

    async listOnDemandFeatureViews(_request, ctx) {
      // Only teams the caller may view.
      const views = await deps.onDemand.list({ signal: ctx.signal }, listedTeams(ctx.principal, ''));
      return { onDemandFeatureViews: views.map(toOnDemandViewMessage) };
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

    async listFeatureServices(request, ctx) {
      // A named service was checked by the policy; else only teams the caller may view.
      const team = request.name ? '' : listedTeams(ctx.principal, '');
      const versions = await deps.featureServices.list(request.name, { signal: ctx.signal }, team);
      return { featureServices: versions.map((v) => toFeatureServiceMessage(v.name, v.version)) };
    },
  };
}
