import { toJson } from '@bufbuild/protobuf';
import { type Duration, durationMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import { type Deployment, RolloutPolicySchema } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { RunnerOptions } from '../runtime/model-runner.ts';
import type { DeploymentRecord, PredictionLoggingRecord, RuntimeRecord } from './deployment-records.ts';
import type { DeploymentTarget } from './model-resolver.ts';
import type { ServingSettings } from './served-models.ts';

/** What a user decides about a deployment; the rest of the record is serving's. */
export type DeploymentSpec = Pick<
  DeploymentRecord,
  | 'name'
  | 'team'
  | 'description'
  | 'modelName'
  | 'alias'
  | 'pinnedVersion'
  | 'runtime'
  | 'predictionLogging'
  | 'rolloutPolicy'
  | 'labels'
  | 'featureEnrichment'
>;

/** Registry aliases: lowercase letters, digits, '-' and '_', not all digits. */
const aliasPattern = /^(?![0-9]+$)[a-z0-9_-]+$/;

/**
 * The spec of a Deployment message from CreateDeployment/UpdateDeployment (field rules of the
 * .proto already enforced); output-only fields are ignored. An empty team means `localTeam` (calls
 * carry no verified principal yet). Prediction logging defaults to every request (sample rate 1)
 * when the message is unset.
 *
 * @throws AppError invalid_argument naming the field (`deployment.target`, …) for what the .proto
 *   rules cannot say: a target with neither alias nor version, a malformed alias, a version below 1,
 *   a negative batch delay.
 */
export function deploymentSpecOf(deployment: Deployment, localTeam: string): DeploymentSpec {
  const target = deployment.target;
  if (!target) throw AppError.invalidArgument('deployment.target', 'is required');
  let alias = '';
  let pinnedVersion = 0;
  switch (target.selector.case) {
    case 'alias':
      alias = target.selector.value;
      if (!aliasPattern.test(alias)) {
        throw AppError.invalidArgument(
          'deployment.target.alias',
          `must be lowercase letters, digits, '-' and '_', not all digits, got "${alias}"`,
        );
      }
      break;
    case 'modelVersion':
      if (target.selector.value < 1n) {
        throw AppError.invalidArgument(
          'deployment.target.model_version',
          `must be ≥ 1, got ${target.selector.value}`,
        );
      }
      if (target.selector.value > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw AppError.invalidArgument(
          'deployment.target.model_version',
          `is out of range: ${target.selector.value}`,
        );
      }
      pinnedVersion = Number(target.selector.value);
      break;
    default:
      throw AppError.invalidArgument(
        'deployment.target',
        'must name an alias to follow (alias) or a version to pin (model_version)',
      );
  }
  return {
    name: deployment.name,
    team: deployment.team || localTeam,
    description: deployment.description,
    modelName: target.modelName,
    alias,
    pinnedVersion,
    runtime: runtimeOf(deployment),
    predictionLogging: predictionLoggingOf(deployment),
    rolloutPolicy: deployment.rolloutPolicy ? toJson(RolloutPolicySchema, deployment.rolloutPolicy) : null,
    labels: { ...deployment.labels },
    ...featureEnrichmentOf(deployment),
  };
}

function featureEnrichmentOf(deployment: Deployment): Pick<DeploymentSpec, 'featureEnrichment'> {
  const enrichment = deployment.featureEnrichment;
  if (!enrichment) return {};
  for (const [input, reference] of Object.entries(enrichment.features)) {
    if (!/^[^:\s]+:[^:\s*]+$/.test(reference)) {
      throw AppError.invalidArgument(
        'deployment.feature_enrichment.features',
        `input "${input}" must map to one feature "<view>:<feature>", got "${reference}"`,
      );
    }
  }
  return {
    featureEnrichment: {
      entityKey: enrichment.entityKey,
      joinKey: enrichment.joinKey || enrichment.entityKey,
      features: { ...enrichment.features },
    },
  };
}

function runtimeOf(deployment: Deployment): RuntimeRecord {
  const runtime = deployment.runtime;
  const batching = runtime?.dynamicBatching;
  return {
    instanceCount: runtime?.instanceCount ?? 0,
    intraOpThreads: runtime?.intraOpThreads ?? 0,
    interOpThreads: runtime?.interOpThreads ?? 0,
    maxQueueSize: runtime?.maxQueueSize ?? 0,
    dynamicBatching: batching
      ? {
          maxBatchSize: batching.maxBatchSize,
          maxQueueDelayUs: batching.maxQueueDelayUs,
          preferredBatchSizes: [...batching.preferredBatchSizes],
        }
      : null,
  };
}

function predictionLoggingOf(deployment: Deployment): PredictionLoggingRecord {
  const logging = deployment.predictionLogging;
  if (!logging) return { sampleRate: 1, maxBatchSize: 0, maxBatchDelayMs: 0, includeTensors: false };
  return {
    sampleRate: logging.sampleRate,
    maxBatchSize: logging.maxBatchSize,
    maxBatchDelayMs: logging.maxBatchDelay ? delayMs(logging.maxBatchDelay) : 0,
    includeTensors: logging.includeTensors,
  };
}

function delayMs(duration: Duration): number {
  const ms = durationMs(duration);
  if (!(ms >= 0)) {
    throw AppError.invalidArgument(
      'deployment.prediction_logging.max_batch_delay',
      `must not be negative, got ${ms} ms`,
    );
  }
  return ms;
}

/** The target a spec follows. */
export function targetOf(spec: DeploymentSpec): DeploymentTarget {
  return { modelName: spec.modelName, alias: spec.alias, version: spec.pinnedVersion };
}

/** Whether two specs serve the same target. */
export function sameTarget(a: DeploymentSpec, b: DeploymentSpec): boolean {
  return a.modelName === b.modelName && a.alias === b.alias && a.pinnedVersion === b.pinnedVersion;
}

/** Runtime options a loaded version of this deployment gets. */
export function runnerOptionsOf(spec: DeploymentSpec): RunnerOptions {
  const { runtime } = spec;
  return {
    intraOpThreads: runtime.intraOpThreads,
    interOpThreads: runtime.interOpThreads,
    instanceCount: runtime.instanceCount,
    dynamicBatching: runtime.dynamicBatching ?? undefined,
    maxQueueSize: runtime.maxQueueSize,
  };
}

/**
 * Whether a runner loaded with `loaded` runs as `wanted` asks (instances and thread counts, dynamic
 * batching and, with batching, its queue bound); unknown `loaded` settings never match.
 */
export function sameRunnerOptions(loaded: RunnerOptions | undefined, wanted: RunnerOptions): boolean {
  if (!loaded) return false;
  const key = (options: RunnerOptions) =>
    JSON.stringify([
      Math.max(1, options.instanceCount ?? 1),
      options.intraOpThreads,
      options.interOpThreads,
      options.dynamicBatching ?? null,
      options.dynamicBatching ? (options.maxQueueSize ?? 0) : 0,
    ]);
  return key(loaded) === key(wanted);
}

/** The deployment label that lets NaN/±Infinity through to the model (value "true"). */
export const allowNonFiniteLabel = 'serving.flywheel.dev/allow-non-finite';

/** How the request path serves and logs this deployment. */
export function servingSettingsOf(spec: DeploymentSpec, defaultMaxInFlight: number): ServingSettings {
  return {
    modelName: spec.modelName,
    team: spec.team,
    sampleRate: spec.predictionLogging.sampleRate,
    logBatchSize: spec.predictionLogging.maxBatchSize,
    logBatchDelayMs: spec.predictionLogging.maxBatchDelayMs,
    logTensors: spec.predictionLogging.includeTensors,
    maxInFlight: spec.runtime.maxQueueSize > 0 ? spec.runtime.maxQueueSize : defaultMaxInFlight,
    allowNonFinite: spec.labels[allowNonFiniteLabel] === 'true',
    ...(spec.featureEnrichment ? { featureEnrichment: spec.featureEnrichment } : {}),
  };
}
