import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import type { ServiceHost, ServiceWiring } from '@flywheel/runtime';
import { createAdmissionController } from './admission/admission-controller.ts';
import { createCompareRuns } from './api/compare-runs.ts';
import { createListRuns } from './api/list-runs.ts';
import { createOrchestratorApi } from './api/orchestrator-api.ts';
import { orchestratorPolicy } from './api/orchestrator-policy.ts';
import { createRetryRun } from './api/retry-run.ts';
import { createStartRequestedRun } from './api/start-requested-run.ts';
import { createSchedulerPipelines } from './api/stored-pipelines.ts';
import { createStreamJobLogs } from './api/stream-job-logs.ts';
import { createSubmitRun } from './api/submit-run.ts';
import { createWatchRun } from './api/watch-run.ts';
import { createBuiltinSteps } from './builtin-steps/index.ts';
import type { BuiltinSteps } from './builtin-steps/step-types.ts';
import type { OrchestratorConfig } from './config.ts';
import { orchestratorConsumedEvents } from './consumed-events.ts';
import { createExecutorSet, localExecutorName } from './executors/executor-set.ts';
import type { JobExecutor } from './executors/job-executor.ts';
import { createJobLogs } from './executors/job-logs.ts';
import { createJobSlots } from './executors/job-slots.ts';
import { createKubernetesJobExecutor } from './executors/kubernetes-job-executor.ts';
import { createLocalProcessExecutor } from './executors/local-process-executor.ts';
import { createRayJobExecutor } from './executors/ray-job-executor.ts';
import { createRunEngine } from './runs/run-engine.ts';
import { runMetricsOf } from './runs/run-metrics.ts';
import { createRunStore } from './runs/run-store.ts';

/** What a caller may put in place of the defaults (embedded platform, tests, other executors). */
export interface OrchestratorWiringOptions {
  /** Built-in steps by name. Default: Flywheel's ML steps (training-set, train, evaluate, register, promote, select-best). */
  builtinSteps?: BuiltinSteps;
  /**
   * Run command steps, by the name a step gives in `command.executor`. Default: the local process
   * executor alone. A `local` one given here replaces the default one.
   */
  executors?: readonly JobExecutor[];
  /** The executor of steps that name none. Default `local`, or the only executor given. */
  defaultExecutor?: string;
  /** Retry jitter source. Default Math.random. */
  random?: () => number;
}

/**
 * The orchestrator service — where pipelines run: the run engine (DAG, retries, timeouts,
 * cancel, resume after restart), the local process executor, the OrchestratorService API and the
 * `pipeline.run-requested` consumer. Runs are owned through a lease (FLYWHEEL_ORCHESTRATOR_RUN_LEASE):
 * a replica executes only its runs, and takes over those of a replica that stopped renewing.
 */
export async function wireOrchestrator(
  host: ServiceHost,
  config: OrchestratorConfig,
  options: OrchestratorWiringOptions = {},
): Promise<ServiceWiring> {
  const { server, infra, log } = host;
  const peer = host.peerClient;
  const registry = createRpcClient(RegistryService, { address: config.peers.registry, ...peer });
  const featureStore = createRpcClient(FeatureStoreService, {
    address: config.peers['feature-store'],
    ...peer,
  });
  const inference = createRpcClient(GRPCInferenceService, { address: config.peers.serving, ...peer });
  const builtins =
    options.builtinSteps ??
    createBuiltinSteps({
      blobs: infra.blobs,
      store: infra.store,
      registry,
      featureStore,
      inference,
      log: log.child({ component: 'builtin-steps' }),
      peerRetryBudgetMs: config.peerRetryBudgetMs,
      ...(config.codeVersion ? { codeVersion: config.codeVersion } : {}),
    });
  const runs = createRunStore(infra.store);
  const admission = createAdmissionController({
    runs,
    config: config.admission,
    log: log.child({ component: 'admission' }),
    metrics: host.metrics,
  });
  const logs = createJobLogs({ store: infra.store, log: log.child({ component: 'job-logs' }) });
  const given = [...(options.executors ?? [])];
  if (config.ray && !given.some((e) => e.name === 'ray'))
    given.push(
      createRayJobExecutor({
        address: config.ray.address,
        sharedFilesystem: config.ray.sharedFilesystem,
        capacityRefreshMs: config.ray.capacityRefreshMs,
        log: log.child({ component: 'ray-executor' }),
      }),
    );
  const kubernetes =
    config.kubernetes && !given.some((e) => e.name === 'kubernetes')
      ? createKubernetesJobExecutor({
          namespace: config.kubernetes.namespace,
          defaultTtlSeconds: config.kubernetes.defaultTtlSeconds,
          capacityRefreshMs: config.kubernetes.capacityRefreshMs,
          log: log.child({ component: 'kubernetes-executor' }),
        })
      : undefined;
  if (kubernetes) given.push(kubernetes);
  const executors = createExecutorSet({
    executors: given.some((e) => e.name === localExecutorName)
      ? given
      : [
          createLocalProcessExecutor({
            killGraceMs: config.killGraceMs,
            pythonEnvironments: { dir: config.pythonEnvironmentsDir, defaultPython: config.defaultPython },
          }),
          ...given,
        ],
    ...(options.defaultExecutor ? { defaultName: options.defaultExecutor } : {}),
  });
  const engine = createRunEngine({
    runs,
    logs,
    executors,
    builtins,
    slots: createJobSlots(config.maxConcurrentJobs),
    workDir: config.workDir,
    log: log.child({ component: 'run-engine' }),
    // A new incarnation per start: the replica's runs left by its previous process are taken at once.
    instance: { id: config.host.instanceId, incarnation: crypto.randomUUID() },
    leaseMs: config.runLeaseMs,
    metrics: runMetricsOf(host.metrics),
    admission,
    ...(options.random ? { random: options.random } : {}),
  });
  const pipelines = createSchedulerPipelines(config.peers.scheduler, peer);

  server.add(
    OrchestratorService,
    createOrchestratorApi({
      runs,
      engine,
      submitRun: createSubmitRun({
        runs,
        engine,
        builtins,
        executors,
        pipelines,
        localTeam: config.host.localTeam,
        queues: config.admission,
      }),
      listRuns: createListRuns({ runs }),
      compareRuns: createCompareRuns({ runs }),
      retryRun: createRetryRun({ runs, engine, queues: config.admission }),
      watchRun: createWatchRun({ runs }),
      streamJobLogs: createStreamJobLogs({ runs, logs }),
    }),
    orchestratorPolicy({ runs }),
  );
  await engine.resumeAll({ signal: host.signal });
  await host.consume(
    { topics: orchestratorConsumedEvents.runs },
    createStartRequestedRun({
      runs,
      engine,
      builtins,
      executors,
      localTeam: config.host.localTeam,
      queues: config.admission,
    }),
  );
  return {
    close: async () => {
      await engine.close();
      await kubernetes?.stop();
      admission.close();
      pipelines.close();
      registry.close();
      featureStore.close();
      inference.close();
    },
  };
}
