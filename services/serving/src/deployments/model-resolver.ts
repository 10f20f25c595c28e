import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AppError, type CallOptions } from '@flywheel/core';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { createRpcClient, type PeerClientOptions } from '@flywheel/rpc';

/** Which registry version a deployment serves: an alias it follows, or a pinned version. */
export interface DeploymentTarget {
  readonly modelName: string;
  /** The alias followed, e.g. "champion"; "" when pinned. */
  readonly alias: string;
  /** The pinned version; 0 when following an alias. */
  readonly version: number;
}

/** A registry version as serving needs it. */
export interface ResolvedVersion {
  readonly modelName: string;
  readonly version: number;
  /** Lower-case hex sha256 of the ONNX artifact in the shared blob store. */
  readonly artifactSha256: string;
  /**
   * The event a trigger rule started the version's producing run on (e.g. drift.detected), when
   * its lineage names one with a time: the loop's lead time runs from it to this version going live.
   */
  readonly trigger?: { readonly eventType: string; readonly timeMs: number };
}

/** Resolves a deployment target to a registry version (the model store's port, as serving sees it). */
export interface ModelResolver {
  /**
   * @throws AppError not_found when the model, alias or version does not exist;
   *   failed_precondition when the version's artifact is not ONNX; unavailable /
   *   deadline_exceeded (retriable) when the registry cannot answer.
   */
  resolve(target: DeploymentTarget, options?: CallOptions): Promise<ResolvedVersion>;
  close(): void;
}

/** `models:/<name>@<alias>` or `models:/<name>/<version>`. */
export function targetUri(target: DeploymentTarget): string {
  return target.alias
    ? `models:/${target.modelName}@${target.alias}`
    : `models:/${target.modelName}/${target.version}`;
}

/** A resolver that asks the registry service over gRPC (`ResolveModelUri`). */
export function createRegistryResolver(options: {
  address: string;
  timeoutMs: number;
  /** The host's peer client options (TLS, the service's token). */
  peer?: PeerClientOptions;
}): ModelResolver {
  const registry = createRpcClient(RegistryService, {
    address: options.address,
    defaultTimeoutMs: options.timeoutMs,
    ...options.peer,
  });
  return {
    async resolve(target, callOptions = {}) {
      const uri = targetUri(target);
      const { version } = await registry.resolveModelUri({ uri }, callOptions);
      const format = version?.artifact?.format ?? ArtifactFormat.UNSPECIFIED;
      const sha256 = version?.artifact?.blob?.sha256 ?? '';
      if (!version || !sha256) {
        throw new AppError('failed_precondition', `${uri} resolved to a version without an artifact`);
      }
      if (format !== ArtifactFormat.ONNX && format !== ArtifactFormat.UNSPECIFIED) {
        throw new AppError(
          'failed_precondition',
          `${uri} is version ${version.version}, whose artifact is ${ArtifactFormat[format]}; serving runs ONNX`,
        );
      }
      const event = version.lineage?.triggerEvent;
      return {
        modelName: version.modelName,
        version: Number(version.version),
        artifactSha256: sha256,
        ...(event?.time ? { trigger: { eventType: event.type, timeMs: timestampMs(event.time) } } : {}),
      };
    },
    close: () => registry.close(),
  };
}
