import type { JsonValue } from '@bufbuild/protobuf';
import type { AuditPrincipal } from '@flywheel/rpc';
import type { Collection, Doc, DocumentStore } from '@flywheel/store';
import type { RolloutRecord } from './rollout-records.ts';

/** Lifecycle of a stored deployment (DeploymentState without the prefix). */
export type DeploymentStateName = 'pending' | 'ready' | 'rolling_out' | 'degraded' | 'failed';

/** Runtime settings as stored (RuntimeConfig). */
export interface RuntimeRecord {
  instanceCount: number;
  intraOpThreads: number;
  interOpThreads: number;
  maxQueueSize: number;
  dynamicBatching: { maxBatchSize: number; maxQueueDelayUs: number; preferredBatchSizes: number[] } | null;
}

/** Prediction logging as stored (PredictionLogging, defaults applied). */
export interface PredictionLoggingRecord {
  /** 0 to 1; 1 when the deployment did not say. */
  sampleRate: number;
  /** 0 means the server's default. */
  maxBatchSize: number;
  /** 0 means the server's default. */
  maxBatchDelayMs: number;
  includeTensors: boolean;
}

/** Online feature enrichment as stored (FeatureEnrichment, join key defaulted). */
export interface FeatureEnrichmentRecord {
  entityKey: string;
  joinKey: string;
  /** Model input → "<view>:<feature>". */
  features: Record<string, string>;
}

/** One deployment in serving's own store; the document id is its name. */
export interface DeploymentRecord {
  name: string;
  team: string;
  description: string;
  modelName: string;
  /** The alias followed; "" when pinned. */
  alias: string;
  /** The pinned version; 0 when following an alias. */
  pinnedVersion: number;
  runtime: RuntimeRecord;
  predictionLogging: PredictionLoggingRecord;
  /** RolloutPolicy in protobuf JSON, kept as given until rollouts land; null when unset. */
  rolloutPolicy: JsonValue | null;
  labels: Record<string, string>;
  state: DeploymentStateName;
  /** Why the state is what it is, e.g. the last load error; "" when all is well. */
  stateMessage: string;
  /** The version taking traffic; 0 before the first load. */
  stableVersion: number;
  /** sha256 of the stable version's artifact, so a restart can load it without asking the registry first. */
  stableArtifactSha256: string;
  /** Inputs completed from the feature store (FeatureEnrichment); absent when none. */
  featureEnrichment?: FeatureEnrichmentRecord;
  /** The rollout in progress, or the last one; absent when there was none. */
  rollout?: RolloutRecord;
  /** RFC 3339. */
  createTime: string;
  updateTime: string;
  /** Who created it (absent in records written before audit principals were kept). */
  createdBy?: AuditPrincipal;
  /** Who last changed it. */
  updatedBy?: AuditPrincipal;
}

/** The deployments collection, indexed for the alias consumer and ListDeployments filters. */
export function deploymentsCollection(store: DocumentStore): Collection<DeploymentRecord> {
  return store.collection<DeploymentRecord>('deployments', { indexes: ['modelName', 'alias', 'team'] });
}

/**
 * Which write of which deployment a stored document is: its create time with its document
 * version, so a deployment deleted and created again under its name is never taken for the old one.
 */
export function revisionOf(doc: Doc<DeploymentRecord>): string {
  return `${doc.data.createTime}#${doc.version}`;
}
