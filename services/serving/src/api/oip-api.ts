import { AppError } from '@flywheel/core';
import type { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ImplOf } from '@flywheel/rpc';
import packageJson from '../../package.json' with { type: 'json' };
import { type ServedModels, sameVersion } from '../deployments/served-models.ts';
import type { Infer } from '../inference/infer.ts';
import type { ModelStatisticsBook } from '../observability/model-statistics.ts';
import type { TensorSpec } from '../runtime/model-runner.ts';
import { encodeRawInferResponse } from './infer-response-wire.ts';
import { modelConfigMessage, modelConfigOf } from './model-config.ts';
import { repositoryIndex, repositoryModelLoad, repositoryModelUnload } from './model-repository.ts';
import { streamInfer } from './stream-infer.ts';

export interface OipApiDeps {
  served: ServedModels;
  infer: Infer;
  statistics: ModelStatisticsBook;
}

/** Protocol extensions this server supports (Triton names). */
const extensions: readonly string[] = ['model_configuration', 'model_repository', 'statistics'];

/** The Open Inference Protocol v2 gRPC API (KServe v2 / Triton), where a model is a deployment. */
export function createOipApi(deps: OipApiDeps): ImplOf<typeof GRPCInferenceService> {
  const { served, statistics } = deps;

  return {
    serverLive: () => ({ live: true }),
    serverReady: () => ({ ready: served.ready() }),
    modelReady: ({ name, version }) => ({ ready: modelIsReady(served, name, version) }),
    serverMetadata: () => serverMetadataOf(),
    modelMetadata: ({ name, version }) => {
      const metadata = modelMetadataOf(served, name, version);
      return {
        ...metadata,
        inputs: metadata.inputs.map(withBigintShape),
        outputs: metadata.outputs.map(withBigintShape),
      };
    },
    // The hot path: raw answers (tritonclient's, perf_analyzer's) are written to the wire directly.
    modelInfer: async (request, ctx) => {
      const response = await deps.infer(request, { signal: ctx.signal });
      return encodeRawInferResponse(response) ?? response;
    },
    modelStatistics: ({ name, version }) => {
      if (name !== '' && !served.get(name) && !statistics.has(name)) {
        throw new AppError('not_found', `model "${name}" is not deployed on this server`);
      }
      return { modelStats: statistics.query(name, version) };
    },
    modelStreamInfer: (requests, ctx) => streamInfer(deps.infer, requests, ctx.signal),
    modelConfig: ({ name, version }) => ({
      config: modelConfigMessage(modelConfigOf(served, name, version)),
    }),
    repositoryIndex: ({ repositoryName, ready }) => ({
      models: repositoryIndex(served, repositoryName, ready),
    }),
    repositoryModelLoad: (request) => {
      repositoryModelLoad(served, request);
      return {};
    },
    repositoryModelUnload: (request) => repositoryModelUnload(served, request),
  };
}

/** A tensor's metadata as OIP states it: dynamic dimensions are -1. */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** OIP model metadata of a deployment's live model (shared by gRPC and REST). */
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** This server's OIP metadata: name, version and the Triton protocol extensions it supports. */
export function serverMetadataOf(): { name: string; version: string; extensions: string[] } {
  return { name: 'flywheel', version: packageJson.version, extensions: [...extensions] };
}

/** Whether deployment `name` has a live model (of `version`, unless it is ""). */
export function modelIsReady(served: ServedModels, name: string, version: string): boolean {
  const live = served.get(name)?.live;
  return live !== undefined && (version === '' || sameVersion(version, live.version));
}

/**
 * Metadata of deployment `name`'s live model, from the ONNX session's signature.
 *
 * @throws AppError not_found for an unknown deployment or another version; unavailable when no
 *   version is loaded (checked like an inference request's target).
 */
export function modelMetadataOf(served: ServedModels, name: string, version: string): ModelMetadata {
  const lease = served.acquire(name, version);
  lease.release();
  const model = lease.model;
  return {
    name,
    versions: [String(model.version)],
    platform: 'onnxruntime_onnx',
    inputs: model.runner.signature.inputs.map(metadataOf),
    outputs: model.runner.signature.outputs.map(metadataOf),
  };
}

function metadataOf(spec: TensorSpec): TensorMetadata {
  return {
    name: spec.name,
    datatype: spec.datatype,
    shape: spec.shape.map((dim) => (typeof dim === 'number' ? dim : -1)),
  };
}

function withBigintShape(tensor: TensorMetadata) {
  return { ...tensor, shape: tensor.shape.map(BigInt) };
}
