import { AppError } from '@flywheel/core';
import type { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ImplOf } from '@flywheel/rpc';
import packageJson from '../package.json' with { type: 'json' };
import type { Infer } from './infer.ts';
import type { TensorSpec } from './model-runner.ts';
import type { ModelStatisticsBook } from './model-statistics.ts';
import { type ServedModels, sameVersion } from './served-models.ts';

export interface OipApiDeps {
  served: ServedModels;
  infer: Infer;
  statistics: ModelStatisticsBook;
}

/** Protocol extensions this server supports (Triton names). */
const extensions = ['statistics'];

/** The Open Inference Protocol v2 gRPC API (KServe v2 / Triton), where a model is a deployment. */
export function createOipApi(deps: OipApiDeps): ImplOf<typeof GRPCInferenceService> {
  const { served, statistics } = deps;

  /** The live model of a deployment for metadata, checked like an inference request's target. */
  const liveOf = (name: string, version: string) => {
    const lease = served.acquire(name, version);
    lease.release();
    return lease.model;
  };

  return {
    serverLive: () => ({ live: true }),
    serverReady: () => ({ ready: served.ready() }),
    modelReady: ({ name, version }) => {
      const live = served.get(name)?.live;
      return { ready: live !== undefined && (version === '' || sameVersion(version, live.version)) };
    },
    serverMetadata: () => ({ name: 'flywheel', version: packageJson.version, extensions }),
    modelMetadata: ({ name, version }) => {
      const model = liveOf(name, version);
      return {
        name,
        versions: [String(model.version)],
        platform: 'onnxruntime_onnx',
        inputs: model.runner.signature.inputs.map(metadataOf),
        outputs: model.runner.signature.outputs.map(metadataOf),
      };
    },
    modelInfer: (request, ctx) => deps.infer(request, { signal: ctx.signal }),
    modelStatistics: ({ name, version }) => {
      if (name !== '' && !served.get(name) && !statistics.has(name)) {
        throw new AppError('not_found', `model "${name}" is not deployed on this server`);
      }
      return { modelStats: statistics.query(name, version) };
    },
    // biome-ignore lint/correctness/useYield: answers UNIMPLEMENTED before any response.
    async *modelStreamInfer() {
      throw new AppError(
        'unimplemented',
        'ModelStreamInfer is not available yet: streaming inference arrives with the worker-thread runner and dynamic batching; use ModelInfer',
      );
    },
    repositoryIndex: () => repositoryUnimplemented('RepositoryIndex'),
    repositoryModelLoad: () => repositoryUnimplemented('RepositoryModelLoad'),
    repositoryModelUnload: () => repositoryUnimplemented('RepositoryModelUnload'),
  };
}

function repositoryUnimplemented(method: string): never {
  throw new AppError(
    'unimplemented',
    `${method} is not supported: models are deployments here; use flywheel.serving.v1.ServingService (CreateDeployment, ListDeployments, DeleteDeployment)`,
  );
}

function metadataOf(spec: TensorSpec) {
  return {
    name: spec.name,
    datatype: spec.datatype,
    shape: spec.shape.map((dim) => BigInt(typeof dim === 'number' ? dim : -1)),
  };
}
