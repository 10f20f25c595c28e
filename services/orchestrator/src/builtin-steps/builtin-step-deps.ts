import type { BlobStore } from '@flywheel/blobs';
import type { Logger } from '@flywheel/core';
import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import type { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { RpcClient } from '@flywheel/rpc';
import type { DocumentStore } from '@flywheel/store';

/** A client of the registry's gRPC API. */
export type RegistryClient = RpcClient<(typeof RegistryService)['method']>;

/** A client of the feature store's gRPC API. */
export type FeatureStoreClient = RpcClient<(typeof FeatureStoreService)['method']>;

/** A client of serving's Open Inference Protocol gRPC API. */
export type InferenceClient = RpcClient<(typeof GRPCInferenceService)['method']>;

/** What the built-in steps run on. */
export interface BuiltinStepDeps {
  /** The shared, content-addressed blob store: training sets in, model artifacts out. */
  readonly blobs: BlobStore;
  /** The orchestrator's own document store: promotion decisions and their events (outbox). */
  readonly store: DocumentStore;
  readonly registry: RegistryClient;
  readonly featureStore: FeatureStoreClient;
  /** Serving's OIP API, for `batch-predict`; without it that step fails with failed_precondition. */
  readonly inference?: InferenceClient;
  readonly log: Logger;
  /** Recorded as each registered version's lineage `code_version` (e.g. a git commit); default empty. */
  readonly codeVersion?: string;
  /**
   * Where `blob-to-file` writes files for command steps to read, as `<filesDir>/<run id>/<step>/<file>`;
   * default `<os tmpdir>/flywheel-step-files`. Files stay until the directory is cleaned.
   */
  readonly filesDir?: string;
  /**
   * How long a step keeps retrying a peer call that fails retriably (the peer restarting), ms;
   * default 90 000 (`FLYWHEEL_ORCHESTRATOR_PEER_RETRY_BUDGET`). 0 disables the retries.
   */
  readonly peerRetryBudgetMs?: number;
}
