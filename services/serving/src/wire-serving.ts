import { AppError, delay, type Logger } from '@flywheel/core';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createOipApi } from './api/oip-api.ts';
import { createPrincipalLimits, limitedByPrincipal } from './api/principal-limits.ts';
import { startRestApi } from './api/rest-api.ts';
import { createServingApi } from './api/serving-api.ts';
import { inferencePolicy, restPolicy, servingPolicy } from './api/serving-policy.ts';
import type { ServingConfig } from './config.ts';
import { servingConsumedEvents } from './consumed-events.ts';
import { createCreateDeployment } from './deployments/create-deployment.ts';
import { createDeleteDeployment } from './deployments/delete-deployment.ts';
import { deploymentsCollection } from './deployments/deployment-records.ts';
import { createFollowAlias } from './deployments/follow-alias.ts';
import { createFollowCreated } from './deployments/follow-created.ts';
import { createFollowStored } from './deployments/follow-stored.ts';
import { createGetDeployment } from './deployments/get-deployment.ts';
import { createKeyedLock } from './deployments/keyed-lock.ts';
import { createListDeployments } from './deployments/list-deployments.ts';
import { createLoadModelVersion } from './deployments/load-model-version.ts';
import { createLoadTarget } from './deployments/load-target.ts';
import { createRegistryResolver } from './deployments/model-resolver.ts';
import { createReconciler } from './deployments/reconcile-deployments.ts';
import { restoreDeployments } from './deployments/restore-deployments.ts';
import { createServedModels } from './deployments/served-models.ts';
import { createDeploymentSync } from './deployments/sync-deployment.ts';
import { createUpdateDeployment } from './deployments/update-deployment.ts';
import { createExplain } from './inference/explain/explain.ts';
import { createFeatureEnrichment } from './inference/feature-enrichment.ts';
import { createInfer } from './inference/infer.ts';
import { instrumentInference, modelLoadObserver } from './observability/inference-metrics.ts';
import { loopLeadTimeObserver } from './observability/loop-lead-time.ts';
import { createModelStatisticsBook } from './observability/model-statistics.ts';
import { createPredictionLog } from './observability/prediction-log.ts';
import { createServedRequests } from './observability/served-requests.ts';
import { createRuntimeLoader } from './runtime/runtime-loader.ts';
import { createRequestRouting } from './traffic/request-routing.ts';
import { createRollouts } from './traffic/rollouts.ts';
import { createShadowMirror } from './traffic/shadow-mirror.ts';
import { createTrafficRouter } from './traffic/traffic-router.ts';
import { createTrafficStats } from './traffic/traffic-stats.ts';

/**
 * The serving service: deployments of registry models (ServingService) and inference over the
 * Open Inference Protocol (GRPCInferenceService). Restores stored deployments in the background
 * (ServerReady turns true once they are loaded), follows `model.alias-changed` and joins
 * `ground-truth.received` in consumer groups of this replica (`serving.<instance>`,
 * `serving-ground-truth.<instance>`), takes up deployments other replicas create
 * (`deployment.created`, `serving-deployments.<instance>`), follows every stored deployment other
 * replicas changed (a pass every `config.followIntervalMs`), and logs sampled
 * predictions as `prediction.logged`. Serves OIP v2 REST and Prometheus `/metrics` on
 * `config.http.address` (bound address in `httpAddress`). Closing stops REST, flushes the prediction log and releases the models.
 */
export async function wireServing(
  host: ServiceHost,
  config: ServingConfig,
): Promise<ServiceWiring & { readonly httpAddress: string }> {
  const { infra, signal } = host;
  const log = host.log;
  const defaultMaxInFlight = config.maxInFlightPerVersion;
  const deployments = deploymentsCollection(infra.store);
  const served = createServedModels();
  const lock = createKeyedLock();
  const resolver = createRegistryResolver({
    address: config.peers.registry,
    timeoutMs: config.loading.registryTimeoutMs,
    peer: host.peerClient,
  });
  const loadVersion = createLoadModelVersion({
    blobs: infra.blobs,
    loadModel: createRuntimeLoader(),
    timeoutMs: config.loading.loadTimeoutMs,
  });
  const loadTarget = createLoadTarget({
    resolver,
    loadVersion,
    registryTimeoutMs: config.loading.registryTimeoutMs,
    log,
    onLoaded: modelLoadObserver(host.metrics),
  });
  // One observer for both ways a version rolls out: a sync's swap and a canary's promotion.
  const onRolledOut = loopLeadTimeObserver(host.metrics);
  const router = createTrafficRouter();
  const trafficStats = createTrafficStats();
  const rollouts = createRollouts({
    deployments,
    served,
    router,
    stats: trafficStats,
    loadTarget,
    lock,
    log: log.child({ component: 'rollouts' }),
    instanceId: config.host.instanceId,
    leaseMs: config.rolloutLeaseMs,
    resync: (name) => void reconciler.reconcile(name).catch(() => undefined),
    onRolledOut,
  });
  const shadowMirror = createShadowMirror({ bus: infra.bus, log: log.child({ component: 'shadow' }) });
  const routing = createRequestRouting({
    served,
    router,
    stats: trafficStats,
    mirror: shadowMirror,
    addRewards: (deployment, deltas) =>
      rollouts.addRewards(deployment, deltas, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
      }),
  });
  const sync = createDeploymentSync({
    deployments,
    served,
    loadTarget,
    loadVersion,
    lock,
    defaultMaxInFlight,
    rollouts,
    log,
    onRolledOut,
  });
  const reconciler = createReconciler({
    sync,
    served,
    retryBaseMs: config.loading.retryBaseMs,
    retryMaxMs: config.loading.retryMaxMs,
    signal,
    log,
  });
  const statistics = instrumentInference(host.metrics, createModelStatisticsBook(), () =>
    served
      .list()
      .flatMap(({ name, live }) =>
        live?.runner.instances === undefined
          ? []
          : [{ name, version: live.version, instances: live.runner.instances }],
      ),
  );
  const predictionLog = createPredictionLog({
    bus: infra.bus,
    config: config.predictionLog,
    log: log.child({ component: 'prediction-log' }),
  });

  const servedRequests = createServedRequests({ capacityRows: config.servedRequestsCapacity });
  const explain = createExplain({ served, maxModelRows: config.explainMaxModelRows });
  const limits = createPrincipalLimits(config.principalRate);
  host.server.add(
    ServingService,
    limitedByPrincipal(
      ServingService,
      createServingApi({
        createDeployment: createCreateDeployment({
          deployments,
          served,
          loadTarget,
          reconciler,
          lock,
          defaultMaxInFlight,
          localTeam: config.host.localTeam,
        }),
        updateDeployment: createUpdateDeployment({
          deployments,
          served,
          reconciler,
          lock,
          defaultMaxInFlight,
          localTeam: config.host.localTeam,
        }),
        getDeployment: createGetDeployment({ deployments, served }),
        listDeployments: createListDeployments({ deployments }),
        deleteDeployment: createDeleteDeployment({ deployments, served, lock, rollouts }),
        rollouts,
        explain,
        servedRequests,
      }),
      limits,
    ),
    servingPolicy({ deployments, served, servedRequests }),
  );
  const enrichment = createFeatureEnrichment({
    address: config.peers['feature-store'],
    peer: host.peerClient,
  });
  const infer = createInfer({
    served,
    statistics,
    predictionLog,
    servedRequests,
    routing,
    enrich: enrichment.enrich,
  });
  host.server.add(
    GRPCInferenceService,
    // Probes are never limited: a busy principal must not make the server look dead.
    limitedByPrincipal(GRPCInferenceService, createOipApi({ served, statistics, infer }), limits, [
      'serverLive',
      'serverReady',
    ]),
    inferencePolicy({ deployments, served }),
  );

  const followStored = createFollowStored({
    deployments,
    served,
    sync,
    reconciler,
    rollouts,
    log: log.child({ component: 'follow' }),
  });

  await rollouts.resumeInterrupted({ signal });
  const restored = await restoreDeployments({
    deployments,
    served,
    sync,
    reconciler,
    defaultMaxInFlight,
    signal,
    log,
  });
  // Every consumer is per replica: every replica must load the version an alias moves to and every
  // deployment another replica creates, and
  // ground truth joins by request id the predictions only the replica that answered keeps (bandit
  // rewards then add into stored totals, so no reward is counted twice). A shared group would hand
  // each event to one replica only.
  const replica = replicaOf(config.host.instanceId);
  await host.consume(
    { topics: servingConsumedEvents.aliases, group: `serving.${replica}` },
    createFollowAlias({ deployments, reconciler, log }),
  );
  await host.consume(
    { topics: servingConsumedEvents['ground-truth'], group: `serving-ground-truth.${replica}` },
    routing.groundTruth,
  );
  await host.consume(
    { topics: servingConsumedEvents.deployments, group: `serving-deployments.${replica}` },
    createFollowCreated({ follow: followStored }),
  );
  const following = Promise.all([
    repeat((options) => rollouts.follow(options), {
      what: 'following stored rollouts',
      intervalMs: config.rolloutLeaseMs / 2,
      signal,
      log: log.child({ component: 'rollouts' }),
    }),
    // Updates, rollbacks to a version and deletes made through other replicas publish no event
    // this replica consumes: the stored deployments are the truth, read every interval.
    repeat((options) => restored.done.then(() => followStored.pass(options)), {
      what: 'following stored deployments',
      intervalMs: config.followIntervalMs,
      signal,
      log: log.child({ component: 'follow' }),
    }),
  ]);
  const rest = await startRestApi(config.http.address, {
    served,
    infer,
    explain,
    statistics,
    metrics: host.metrics,
    maxBodyBytes: config.http.maxBodyBytes,
    limits,
    localPrincipal: host.auth.localPrincipal,
    log: log.child({ component: 'rest' }),
    ...(host.tls.enabled ? { tls: host.tls } : {}),
    ...(host.auth.authenticator
      ? { auth: { authenticator: host.auth.authenticator, policyOf: restPolicy({ deployments, served }) } }
      : {}),
  });
  log.info('serving OIP v2 REST and /metrics', { address: rest.address });

  return {
    httpAddress: rest.address,
    async close() {
      await rest.close();
      await restored.done;
      await reconciler.drained();
      await following;
      rollouts.close();
      await predictionLog.close();
      await shadowMirror.close();
      await router.close();
      enrichment.close();
      await served.close();
      resolver.close();
    },
  };
}

/**
 * Runs `pass` every `intervalMs` until `signal` aborts (the service stops), so what other replicas
 * stored reaches this one; a failed pass is logged and the next one tries again. Resolves once the
 * loop has ended.
 */
async function repeat(
  pass: (options: { signal: AbortSignal }) => Promise<void>,
  options: { what: string; intervalMs: number; signal: AbortSignal; log: Logger },
): Promise<void> {
  const { signal } = options;
  while (!signal.aborted) {
    try {
      await delay(options.intervalMs, signal);
      await pass({ signal });
    } catch (error) {
      if (signal.aborted) return;
      options.log.warn(`${options.what} failed; trying again`, { error: AppError.from(error) });
    }
  }
}

/**
 * The instance id as a consumer group suffix: characters other than letters, digits, `.`, `_` and
 * `-` become `-`, so the group is a plain Kafka group id (and a plain dedupe key prefix).
 */
function replicaOf(instanceId: string): string {
  return instanceId.replaceAll(/[^A-Za-z0-9._-]/g, '-');
}
