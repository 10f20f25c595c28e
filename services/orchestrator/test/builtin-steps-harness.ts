// Shared set-up of the builtin-*.test.ts files: the REAL registry (and, when asked, the REAL
// feature store) in-process on one shared memory bus and blob directory, the orchestrator's own
// store with its outbox relay (what the orchestrator host gives its wiring), the built-in steps on
// real gRPC clients, and a way to call a step as the engine does.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type BlobStore, blobUri, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import { ConfigReader, silentLogger } from '@flywheel/core';
import { decodeEvent, fromWireMessage, newEvent } from '@flywheel/events';
import {
  toJsonLines,
  type WeatherRow,
  weatherDailyView,
  weatherDatasetName,
  weatherLabelsView,
} from '@flywheel/example-weather';
import { loadFeatureStoreConfig, wireFeatureStore } from '@flywheel/feature-store';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { RunSource, RunTriggerSchema } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';
import {
  type PromotionPassed,
  PromotionPassedSchema,
  type PromotionRejected,
  PromotionRejectedSchema,
} from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { OrchestratorService } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type Infra, openInfra, readInfraConfig } from '@flywheel/runtime';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { waitFor } from '@flywheel/testing';
import {
  type BuiltinStepDeps,
  createBuiltinSteps,
  type FeatureStoreClient,
  type RegistryClient,
} from '../src/builtin-steps/index.ts';
import type { BuiltinSteps, StepContext } from '../src/builtin-steps/step-types.ts';
import { loadOrchestratorConfig, wireOrchestrator } from '../src/index.ts';

export type OrchestratorClient = RpcClient<(typeof OrchestratorService)['method']>;

export interface BuiltinStepsHarness {
  readonly bus: MemoryBus;
  readonly blobs: BlobStore;
  /** The orchestrator's store, relayed to `bus`. */
  readonly infra: Infra;
  readonly registry: RegistryClient;
  readonly featureStore: FeatureStoreClient;
  readonly steps: BuiltinSteps;
  /** The `filesDir` the steps write files for command steps under. */
  readonly filesDir: string;
  /** The REAL orchestrator on the same bus, blobs and peers, when started with `orchestrator: true`. */
  readonly orchestrator: OrchestratorClient | undefined;
  /**
   * Publishes weather rows as a `dataset.arrived` of `noaa-weather` (after applying the two weather
   * views) and resolves once the feature store has materialized both views.
   */
  ingestWeather(rows: readonly WeatherRow[]): Promise<void>;
  /** Runs built-in `step` as the engine would, as `stepName` of run `runId`. */
  run(
    step: string,
    parameters: Record<string, unknown>,
    at?: {
      runId?: string;
      stepName?: string;
      attempt?: number;
      pipelineName?: string;
      /** Default: a manual run. */
      trigger?: MessageInitShape<typeof RunTriggerSchema>;
    },
  ): Promise<Record<string, unknown>>;
  /** Stops the registry (its data dir and port are kept for {@link startRegistry}). */
  stopRegistry(): Promise<void>;
  /** Starts the registry again on the same port and data dir, as a restart would. */
  startRegistry(): Promise<void>;
  /** `promotion.rejected` events the bus holds, decoded, oldest first. */
  rejections(): PromotionRejected[];
  /** `promotion.passed` events the bus holds, decoded, oldest first. */
  passes(): PromotionPassed[];
  close(): Promise<void>;
}

/**
 * Starts the harness; `featureStore: false` skips the feature store (its client then points
 * nowhere useful); `orchestrator: true` also starts the orchestrator service.
 */
export async function startBuiltinStepsHarness(
  options: {
    featureStore?: boolean;
    orchestrator?: boolean;
    codeVersion?: string;
    /** More of the orchestrator's environment (e.g. FLYWHEEL_RAY_ADDRESS). */
    orchestratorEnv?: Record<string, string>;
  } = {},
): Promise<BuiltinStepsHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-builtin-steps-'));
  const bus = createMemoryBus();
  const blobs = createFsBlobs({ dir: join(dir, 'blobs') });
  const shared = { bus, blobs };
  const services: InProcessService[] = [];
  const startRegistryService = (dataDir?: string, address?: string) =>
    startInProcess('registry', {
      load: loadRegistryConfig,
      wire: wireRegistry,
      shared,
      ...(dataDir ? { dataDir } : {}),
      ...(address ? { env: { FLYWHEEL_REGISTRY_GRPC_ADDRESS: address } } : {}),
    });
  let registryService: InProcessService | undefined = await startRegistryService();
  const registryAddress = registryService.address;
  const registryDataDir = registryService.dataDir;
  let featureStoreAddress = '127.0.0.1:1';
  if (options.featureStore !== false) {
    const featureStoreService = await startInProcess('feature-store', {
      load: loadFeatureStoreConfig,
      wire: wireFeatureStore,
      shared,
    });
    services.push(featureStoreService);
    featureStoreAddress = featureStoreService.address;
  }
  const infra = await openInfra(
    readInfraConfig(
      new ConfigReader({
        FLYWHEEL_BUS: 'memory',
        FLYWHEEL_STORE: 'embedded',
        FLYWHEEL_STORE_DIR: join(dir, 'orchestrator-store'),
        FLYWHEEL_BLOBS: 'fs',
        FLYWHEEL_BLOBS_DIR: join(dir, 'blobs'),
      }),
      'orchestrator',
    ),
    { log: silentLogger, shared },
  );
  let orchestrator: OrchestratorClient | undefined;
  if (options.orchestrator === true) {
    const orchestratorService = await startInProcess('orchestrator', {
      load: loadOrchestratorConfig,
      wire: (host, config) => wireOrchestrator(host, config),
      shared,
      env: {
        FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryAddress,
        FLYWHEEL_FEATURE_STORE_GRPC_ADDRESS: featureStoreAddress,
        FLYWHEEL_ORCHESTRATOR_WORK_DIR: join(dir, 'orchestrator-jobs'),
        ...(options.codeVersion === undefined ? {} : { FLYWHEEL_CODE_VERSION: options.codeVersion }),
        FLYWHEEL_RAY_ADDRESS: '', // only with orchestratorEnv: the test run's servers.env names the real Ray
        FLYWHEEL_KUBERNETES_NAMESPACE: '', // likewise the loopback Kubernetes
        ...options.orchestratorEnv,
      },
    });
    services.push(orchestratorService);
    orchestrator = createRpcClient(OrchestratorService, { address: orchestratorService.address });
  }
  const registry = createRpcClient(RegistryService, { address: registryAddress });
  const featureStore = createRpcClient(FeatureStoreService, { address: featureStoreAddress });
  const deps: BuiltinStepDeps = {
    blobs,
    store: infra.store,
    registry,
    featureStore,
    log: silentLogger,
    filesDir: join(dir, 'step-files'),
    ...(options.codeVersion === undefined ? {} : { codeVersion: options.codeVersion }),
  };
  const steps = createBuiltinSteps(deps);
  const stopping = new AbortController();

  return {
    bus,
    blobs,
    infra,
    registry,
    featureStore,
    steps,
    filesDir: join(dir, 'step-files'),
    orchestrator,
    async ingestWeather(rows) {
      for (const view of [weatherDailyView, weatherLabelsView]) {
        await featureStore.applyFeatureView({ featureView: view });
      }
      const materialized = bus.retained('features.materialized').length;
      const file = await blobs.put(toJsonLines(rows));
      await bus.publish([
        newEvent(
          DatasetArrivedSchema,
          {
            dataset: weatherDatasetName,
            uri: blobUri(file.sha256),
            sha256: file.sha256,
            format: DatasetFormat.JSONL,
            rowCount: BigInt(rows.length),
          },
          { source: 'test/data-pipeline' },
        ),
      ]);
      await waitFor(() => bus.retained('features.materialized').length >= materialized + 2, {
        timeoutMs: 60_000,
        what: 'both weather views to materialize',
      });
    },
    async run(step, parameters, at = {}) {
      const builtin = steps[step];
      if (builtin === undefined) throw new Error(`no built-in step "${step}"`);
      const ctx: StepContext = {
        runId: at.runId ?? 'run-1',
        pipelineName: at.pipelineName ?? 'retrain-weather',
        stepName: at.stepName ?? step,
        trigger: create(RunTriggerSchema, at.trigger ?? { source: RunSource.MANUAL }),
        attempt: at.attempt ?? 1,
        parameters,
        outputs: {},
        signal: stopping.signal,
        log: silentLogger,
        workDir: dir,
      };
      const outputs = await builtin(ctx);
      // What the engine persists: outputs must survive JSON.
      return JSON.parse(JSON.stringify(outputs)) as Record<string, unknown>;
    },
    async stopRegistry() {
      await registryService?.stop();
      registryService = undefined;
    },
    async startRegistry() {
      registryService = await startRegistryService(registryDataDir, registryAddress);
    },
    rejections() {
      return bus
        .retained('promotion.rejected')
        .map((message) => decodeEvent(PromotionRejectedSchema, fromWireMessage(message)));
    },
    passes() {
      return bus
        .retained('promotion.passed')
        .map((message) => decodeEvent(PromotionPassedSchema, fromWireMessage(message)));
    },
    async close() {
      stopping.abort();
      orchestrator?.close();
      registry.close();
      featureStore.close();
      await infra.close();
      for (const service of services.reverse()) await service.stop();
      await registryService?.stop();
      await bus.close();
      await blobs.close();
    },
  };
}
