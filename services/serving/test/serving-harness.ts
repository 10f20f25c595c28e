import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { type BlobStore, createFsBlobs } from '@flywheel/blobs';
import { createMemoryBus, type MemoryBus } from '@flywheel/bus';
import { AppError, type Env } from '@flywheel/core';
import { decodeEvent, eventKindOf, fromWireMessage } from '@flywheel/events';
import { exportLogisticRegressionOnnx, type LogisticRegressionModel } from '@flywheel/ml';
import type { ModelLineageSchema } from '@flywheel/proto/flywheel/common/v1/model_pb.js';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { ServingService } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient } from '@flywheel/rpc';
import {
  type InProcessService,
  type ReplicaStackOptions,
  startInProcess,
  startReplicaStack,
} from '@flywheel/runtime/testing';
import { expect, onTestFinished } from 'vitest';
import { loadServingConfig, wireServing } from '../src/index.ts';

/** The closed loop's model inputs (docs/closed-loop.md): one FP32 [N, 1] input per feature. */
export const features = ['temp_max', 'temp_min', 'wind'] as const;

/** A logistic regression over the weather features, with parameters chosen by the test. */
export function weatherModel(weights: [number, number, number], bias: number): LogisticRegressionModel {
  return {
    featureNames: [...features],
    means: [15, 7, 3.2],
    stds: [7, 5, 1.4],
    weights,
    bias,
    l2: 0,
    iterations: 0,
    converged: true,
    loss: 0,
    objective: 0,
  };
}

export const v1Model = weatherModel([-0.8, 0.3, 0.9], -0.2);
export const v2Model = weatherModel([-1.1, 0.6, 1.7], 0.4);

/** The model's math: P(rain) = σ(b + Σ w·(x − μ)/σ), per row of named features. */
export function expectedProbability(model: LogisticRegressionModel, row: readonly number[]): number {
  let z = model.bias;
  model.featureNames.forEach((_, j) => {
    z += (model.weights[j]! * (row[j]! - model.means[j]!)) / model.stds[j]!;
  });
  return 1 / (1 + Math.exp(-z));
}

/** Checks probabilities against the model's math, row by row (float32 precision). */
export function expectProbabilities(
  actual: readonly number[],
  model: LogisticRegressionModel,
  rows: readonly (readonly number[])[] = sampleRows,
): void {
  expect(actual).toHaveLength(rows.length);
  for (const [i, row] of rows.entries()) expect(actual[i]).toBeCloseTo(expectedProbability(model, row), 5);
}

/** Rows of [temp_max, temp_min, wind]. */
export const sampleRows: readonly (readonly [number, number, number])[] = [
  [12.5, 5.0, 4.7],
  [25.1, 14.2, 2.1],
  [3.3, -2.8, 6.0],
];

/** An OIP request with the rows as one FP32 [N, 1] input per feature, in typed contents. */
export function contentsRequest(model: string, rows: readonly (readonly number[])[] = sampleRows) {
  return {
    modelName: model,
    inputs: features.map((name, j) => ({
      name: name as string,
      datatype: 'FP32',
      shape: [BigInt(rows.length), 1n],
      contents: { fp32Contents: rows.map((row) => row[j]!) },
    })),
  };
}

/** The same request with raw_input_contents (little-endian float32), as tritonclient sends it. */
export function rawRequest(model: string, rows: readonly (readonly number[])[] = sampleRows) {
  return {
    modelName: model,
    inputs: features.map((name) => ({
      name: name as string,
      datatype: 'FP32',
      shape: [BigInt(rows.length), 1n],
    })),
    rawInputContents: features.map((_, j) => float32Bytes(rows.map((row) => row[j]!))),
  };
}

export function float32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function float32sOf(bytes: Uint8Array): number[] {
  return Array.from(new Float32Array(new Uint8Array(bytes).buffer));
}

export type RegistryClient = ReturnType<typeof registryClient>;
export type ServingClient = ReturnType<typeof servingClient>;
export type InferenceClient = ReturnType<typeof inferenceClient>;

const registryClient = (address: string) =>
  createRpcClient(RegistryService, { address, defaultTimeoutMs: 20_000 });
const servingClient = (address: string) =>
  createRpcClient(ServingService, { address, defaultTimeoutMs: 20_000 });
const inferenceClient = (address: string) =>
  createRpcClient(GRPCInferenceService, { address, defaultTimeoutMs: 20_000 });

export interface Stack {
  bus: MemoryBus;
  blobs: BlobStore;
  registry: RegistryClient;
  serving: ServingClient;
  inference: InferenceClient;
  readonly registryService: InProcessService;
  servingService: InProcessService;
  /** Base URL of serving's OIP v2 REST server and /metrics, e.g. `http://127.0.0.1:40123`. */
  readonly http: string;
  /** Registers `model` as the next version of `name` (with `lineage`); returns the version and the artifact's sha256. */
  register(
    name: string,
    model: LogisticRegressionModel,
    lineage?: MessageInitShape<typeof ModelLineageSchema>,
  ): Promise<{ version: bigint; sha256: string }>;
  setAlias(name: string, alias: string, version: bigint): Promise<void>;
  /** Overwrites a stored blob's bytes in the fs blob dir, bypassing every check. */
  tamper(sha256: string): Promise<void>;
  /** Stops serving and starts it again on the same data dir (same store), sharing the bus and blobs. */
  restartServing(): Promise<void>;
  /** Stops the registry (serving's peer becomes unreachable). */
  stopRegistry(): Promise<void>;
  /** Starts the registry again on its data dir and address. */
  startRegistry(): Promise<void>;
  /** Stops everything (idempotent); done when the test finishes unless started with `stopManually`. */
  stop(): Promise<void>;
}

/**
 * The REAL registry and serving in this process, sharing one in-process bus and one fs blob store
 * (as embedded mode shares them), each with its own document store; clients to both. Everything is
 * stopped when the test finishes, or by `stop()` with `stopManually` (for beforeAll).
 */
export async function startStack(options: { env?: Env; stopManually?: boolean } = {}): Promise<Stack> {
  const bus = createMemoryBus();
  const blobsDir = mkdtempSync(join(tmpdir(), 'flywheel-serving-blobs-'));
  const blobs = createFsBlobs({ dir: blobsDir });
  const startRegistry = (dataDir?: string, address?: string) =>
    startInProcess('registry', {
      load: loadRegistryConfig,
      wire: wireRegistry,
      shared: { bus, blobs },
      ...(dataDir ? { dataDir } : {}),
      ...(address ? { env: { FLYWHEEL_REGISTRY_GRPC_ADDRESS: address } } : {}),
    });
  let registryService = await startRegistry();
  const servingEnv: Env = {
    FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address,
    FLYWHEEL_SERVING_PREDICTION_LOG_BATCH_DELAY: '50ms',
    FLYWHEEL_SERVING_LOAD_RETRY_BASE: '50ms',
    FLYWHEEL_SERVING_LOAD_RETRY_MAX: '500ms',
    ...options.env,
  };
  let httpAddress = '';
  const startServing = (dataDir?: string) =>
    startInProcess('serving', {
      load: loadServingConfig,
      wire: async (host, config) => {
        const wiring = await wireServing(host, config);
        httpAddress = wiring.httpAddress;
        return wiring;
      },
      shared: { bus, blobs },
      env: servingEnv,
      ...(dataDir ? { dataDir } : {}),
    });
  let servingService = await startServing();
  const registry = registryClient(registryService.address);
  let serving = servingClient(servingService.address);
  let inference = inferenceClient(servingService.address);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      serving.close();
      inference.close();
      registry.close();
      await servingService.stop();
      await registryService.stop();
      await blobs.close();
    })();
    return stopped;
  };
  const stack: Stack = {
    stop,
    bus,
    blobs,
    registry,
    get serving() {
      return serving;
    },
    get inference() {
      return inference;
    },
    get registryService() {
      return registryService;
    },
    get servingService() {
      return servingService;
    },
    get http() {
      return `http://${httpAddress}`;
    },
    async register(name, model, lineage) {
      const bytes = exportLogisticRegressionOnnx(model);
      const { version } = await registry.registerVersion({
        requestId: crypto.randomUUID(),
        modelName: name,
        artifactSource: { case: 'artifactBytes', value: bytes },
        format: ArtifactFormat.ONNX,
        ...(lineage ? { lineage } : {}),
      });
      return { version: version!.version, sha256: createHash('sha256').update(bytes).digest('hex') };
    },
    async setAlias(name, alias, version) {
      await registry.setAlias({ modelName: name, alias, modelVersion: version });
    },
    async tamper(sha256) {
      const path = join(blobsDir, 'sha256', sha256.slice(0, 2), sha256);
      const stored = await readFile(path);
      stored[stored.length - 1] = stored[stored.length - 1]! ^ 0xff;
      await chmod(path, 0o644);
      await writeFile(path, stored);
    },
    async stopRegistry() {
      await registryService.stop();
    },
    async startRegistry() {
      registryService = await startRegistry(registryService.dataDir, registryService.address);
    },
    async restartServing() {
      serving.close();
      inference.close();
      const dataDir = servingService.dataDir;
      await servingService.stop();
      servingService = await startServing(dataDir);
      serving = servingClient(servingService.address);
      inference = inferenceClient(servingService.address);
    },
  };
  if (!options.stopManually) onTestFinished(stop);
  return stack;
}

/** A deployment of `model` following its `champion` alias. */
/**
 * A registry and serving replicas as production runs them (see startReplicaStack): one Kafka bus,
 * one MongoDB-wire database `<run>-serving`, one blob store, instance ids `<run>/serving-<name>`.
 * `env` is added to every replica's; `wire` replaces wireServing (e.g. to read its HTTP address).
 * Everything stops when the test finishes.
 */
export async function startServingReplicas(options: ReplicaStackOptions & { env?: Env }) {
  const stack = startReplicaStack(options);
  onTestFinished(() => stack.close());
  const registryService = await stack.start('registry', {
    load: loadRegistryConfig,
    wire: wireRegistry,
    instance: 'registry',
  });
  const registry = stack.client(RegistryService, registryService.address);
  const replica = async (name: string, wire: typeof wireServing = wireServing) => {
    const service = await stack.start('serving', {
      load: loadServingConfig,
      wire,
      instance: `serving-${name}`,
      database: `${options.run}-serving`,
      env: {
        FLYWHEEL_REGISTRY_GRPC_ADDRESS: registryService.address,
        FLYWHEEL_SERVING_LOAD_RETRY_BASE: '50ms',
        FLYWHEEL_SERVING_LOAD_RETRY_MAX: '500ms',
        ...options.env,
      },
    });
    return {
      service,
      inference: stack.client(GRPCInferenceService, service.address),
      serving: stack.client(ServingService, service.address),
    };
  };
  return { stack, registry, replica };
}

export function championDeployment(name: string, model: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    target: { modelName: model, selector: { case: 'alias' as const, value: 'champion' } },
    ...extra,
  };
}

/** Every event of `schema`'s type the bus holds, decoded, oldest first. */
export function eventsOf<S extends DescMessage>(bus: MemoryBus, schema: S): MessageShape<S>[] {
  return bus.retained(eventKindOf(schema).type).map((wire) => decodeEvent(schema, fromWireMessage(wire)));
}

/** The AppError `promise` rejects with, after checking its code. */
export async function rejection(promise: Promise<unknown>, code: AppError['code']): Promise<AppError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown, `expected the call to fail with ${code}`).toBeInstanceOf(AppError);
  const error = thrown as AppError;
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
  return error;
}
