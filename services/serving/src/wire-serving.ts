import { eventKindOf } from '@flywheel/events';
import { ModelAliasChangedSchema } from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import type { ServingConfig } from './config.ts';
import { createCreateDeployment } from './create-deployment.ts';
import { createDeleteDeployment } from './delete-deployment.ts';
import { deploymentsCollection } from './deployment-records.ts';
import { createFollowAlias } from './follow-alias.ts';
import { createGetDeployment } from './get-deployment.ts';
import { createInfer } from './infer.ts';
import { createKeyedLock } from './keyed-lock.ts';
import { createListDeployments } from './list-deployments.ts';
import { createLoadModelVersion } from './load-model-version.ts';
import { createLoadTarget } from './load-target.ts';
import { createRegistryResolver } from './model-resolver.ts';
import { createModelStatisticsBook } from './model-statistics.ts';
import { createOipApi } from './oip-api.ts';
import { loadOnnxModel } from './onnx-runner.ts';
import { createPredictionLog } from './prediction-log.ts';
import { createReconciler } from './reconcile-deployments.ts';
import { restoreDeployments } from './restore-deployments.ts';
import { createServedModels } from './served-models.ts';
import { createServingApi } from './serving-api.ts';
import { createDeploymentSync } from './sync-deployment.ts';
import { createUpdateDeployment } from './update-deployment.ts';

/**
 * The serving service: deployments of registry models (ServingService) and inference over the
 * Open Inference Protocol (GRPCInferenceService). Restores stored deployments in the background
 * (ServerReady turns true once they are loaded), follows `model.alias-changed`, and logs sampled
 * predictions as `prediction.logged`. Closing flushes the prediction log and releases the models.
 */
export async function wireServing(host: ServiceHost, config: ServingConfig): Promise<ServiceWiring> {
  const { infra, signal } = host;
  const log = host.log;
  const defaultMaxInFlight = config.maxInFlightPerVersion;
  const deployments = deploymentsCollection(infra.store);
  const served = createServedModels();
  const lock = createKeyedLock();
  const resolver = createRegistryResolver({
    address: config.peers.registry,
    timeoutMs: config.loading.registryTimeoutMs,
  });
  const loadVersion = createLoadModelVersion({
    blobs: infra.blobs,
    loadModel: loadOnnxModel,
    timeoutMs: config.loading.loadTimeoutMs,
  });
  const loadTarget = createLoadTarget({
    resolver,
    loadVersion,
    registryTimeoutMs: config.loading.registryTimeoutMs,
    log,
  });
  const sync = createDeploymentSync({
    deployments,
    served,
    loadTarget,
    loadVersion,
    lock,
    defaultMaxInFlight,
    log,
  });
  const reconciler = createReconciler({
    sync,
    served,
    retryBaseMs: config.loading.retryBaseMs,
    retryMaxMs: config.loading.retryMaxMs,
    signal,
    log,
  });
  const statistics = createModelStatisticsBook();
  const predictionLog = createPredictionLog({
    bus: infra.bus,
    config: config.predictionLog,
    log: log.child({ component: 'prediction-log' }),
  });

  host.server.add(
    ServingService,
    createServingApi({
      createDeployment: createCreateDeployment({
        deployments,
        served,
        loadTarget,
        reconciler,
        lock,
        defaultMaxInFlight,
        localTeam: config.localTeam,
      }),
      updateDeployment: createUpdateDeployment({
        deployments,
        served,
        reconciler,
        lock,
        defaultMaxInFlight,
        localTeam: config.localTeam,
      }),
      getDeployment: createGetDeployment({ deployments }),
      listDeployments: createListDeployments({ deployments }),
      deleteDeployment: createDeleteDeployment({ deployments, served, lock }),
    }),
  );
  host.server.add(
    GRPCInferenceService,
    createOipApi({ served, statistics, infer: createInfer({ served, statistics, predictionLog }) }),
  );

  const restored = await restoreDeployments({
    deployments,
    served,
    sync,
    reconciler,
    defaultMaxInFlight,
    signal,
    log,
  });
  await host.consume(
    { topics: [eventKindOf(ModelAliasChangedSchema).type] },
    createFollowAlias({ deployments, reconciler, log }),
  );

  return {
    async close() {
      await restored.done;
      await reconciler.drained();
      await predictionLog.close();
      await served.close();
      resolver.close();
    },
  };
}
