import type { EventHandler } from '@flywheel/bus';
import { decodeEvent } from '@flywheel/events';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import type { ModelInferRequest } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { ServedModels } from '../deployments/served-models.ts';
import { sameVersion } from '../deployments/served-models.ts';
import type { ModelLease } from '../runtime/live-model.ts';
import type { TensorValue } from '../runtime/model-runner.ts';
import { numberOf } from '../runtime/number-of.ts';
import type { ShadowMirror } from './shadow-mirror.ts';
import type { ArmRewards, TrafficRouter } from './traffic-router.ts';
import type { TrafficStats } from './traffic-stats.ts';

/** A request the model answered, as the request path reports it. */
export interface AnsweredRequest {
  request: ModelInferRequest;
  /** The response's id (the request's, or the one the server made up). */
  id: string;
  version: number;
  latencyNs: bigint;
  inputs: ReadonlyMap<string, TensorValue>;
  outputNames: readonly string[];
  outputs: ReadonlyMap<string, TensorValue>;
}

/**
 * The request path's view of traffic strategies: which loaded version serves a request, and what
 * the strategies learn from each answer (canary SLO windows, predictions kept for joining ground
 * truth, shadow mirroring). Deployments without a strategy go straight to their stable version.
 */
export interface RequestRouting {
  /**
   * Holds the version that serves `request`: the one named by model_version (stable or any
   * version a strategy loaded), else the one the deployment's strategy picks.
   *
   * @throws AppError as ServedModels.acquire (not_found, unavailable, resource_exhausted).
   */
  acquire(request: ModelInferRequest): ModelLease;
  /** Reports an answered request; never waits (mirroring runs in the background). */
  answered(answer: AnsweredRequest): void;
  /**
   * The role `version` plays in the deployment's traffic now (for a request routed by the
   * strategy, not one naming its version), with the stable version and the shadows requests are
   * offered to.
   */
  routeOf(deployment: string, version: number): RouteOfVersion;
  /** Reports a failed request. */
  failed(deployment: string, version: number, latencyNs: bigint): void;
  /**
   * Consumer of `ground-truth.received`: each label is joined by request id to the prediction a
   * strategy kept, counted for the canary's accuracy gate and as the bandit arm's reward.
   */
  groundTruth: EventHandler;
}

/** How a deployment's strategy places one version. */
export interface RouteOfVersion {
  role: 'stable' | 'canary' | 'variant' | 'arm';
  stableVersion: number;
  mirroredTo: number[];
}

export interface RequestRoutingDeps {
  served: ServedModels;
  router: TrafficRouter;
  stats: TrafficStats;
  mirror: ShadowMirror;
  /** Stores rewards joined here with a bandit's totals (every replica's), then routes on them. */
  addRewards(deployment: string, deltas: ReadonlyMap<number, ArmRewards>): Promise<void>;
  /** Predictions kept for joining ground truth; the oldest are forgotten first. Default 100 000. */
  maxKeptPredictions?: number;
}

interface Kept {
  deployment: string;
  version: number;
  /** Predicted label per row. */
  labels: number[];
}

export function createRequestRouting(deps: RequestRoutingDeps): RequestRouting {
  const { served, router, stats, mirror } = deps;
  const capacity = deps.maxKeptPredictions ?? 100_000;
  const kept = new Map<string, Kept>();

  return {
    acquire(request) {
      const name = request.modelName;
      const plan = router.plan(name);
      if (!plan) return served.acquire(name, request.modelVersion);
      const deployment = served.get(name);
      if (!deployment?.live) return served.acquire(name, request.modelVersion);
      const limit = deployment.settings.maxInFlight;
      if (request.modelVersion !== '') {
        if (sameVersion(request.modelVersion, deployment.live.version)) return served.acquire(name, '');
        const extra = /^\d+$/.test(request.modelVersion)
          ? router.model(name, Number(request.modelVersion))
          : undefined;
        return extra ? extra.acquire(limit) : served.acquire(name, request.modelVersion);
      }
      const choice = router.choose(name, request, deployment.live.version);
      const model = choice.version === 'stable' ? undefined : router.model(name, choice.version);
      return model ? model.acquire(limit) : served.acquire(name, '');
    },
    answered(answer) {
      const name = answer.request.modelName;
      const plan = router.plan(name);
      if (!plan) return;
      stats.record(name, answer.version, true, answer.latencyNs);
      if (plan.kind === 'canary' || plan.kind === 'bandit') {
        kept.set(answer.id, { deployment: name, version: answer.version, labels: labelsOf(answer.outputs) });
        if (kept.size > capacity) kept.delete(kept.keys().next().value!);
      }
      if (plan.kind === 'shadow') {
        const shadows = router.shadows(name);
        const settings = served.get(name)?.settings;
        if (shadows.length > 0 && settings) {
          mirror.offer(
            {
              deploymentName: name,
              modelName: settings.modelName,
              team: settings.team,
              primaryVersion: answer.version,
              primaryLatencyNs: answer.latencyNs,
              inputs: answer.inputs,
              outputNames: answer.outputNames,
              outputs: answer.outputs,
            },
            shadows,
            plan.windowMs,
          );
        }
      }
    },
    routeOf(deployment, version) {
      const plan = router.plan(deployment);
      const stableVersion = served.get(deployment)?.live?.version ?? version;
      const stable = { role: 'stable' as const, stableVersion, mirroredTo: [] };
      switch (plan?.kind) {
        case 'canary':
          return version === plan.candidate ? { ...stable, role: 'canary' } : stable;
        case 'ab':
          return { ...stable, role: 'variant' };
        case 'bandit':
          return { ...stable, role: 'arm' };
        case 'shadow':
          return { ...stable, mirroredTo: [...plan.candidates] };
        default:
          return stable;
      }
    },
    failed(deployment, version, latencyNs) {
      if (router.plan(deployment)) stats.record(deployment, version, false, latencyNs);
    },
    async groundTruth(event) {
      const received = decodeEvent(GroundTruthReceivedSchema, event);
      const rewards = new Map<string, Map<number, ArmRewards>>();
      for (const label of received.labels) {
        const prediction = kept.get(label.requestId);
        const truth = label.label ? numberOf(label.label) : undefined;
        if (!prediction || truth === undefined) continue;
        const predicted = prediction.labels[label.rowIndex];
        stats.recordLabel(prediction.deployment, prediction.version, predicted === truth);
        if (router.plan(prediction.deployment)?.kind !== 'bandit') continue;
        const arms = rewards.get(prediction.deployment) ?? new Map<number, ArmRewards>();
        const arm = arms.get(prediction.version) ?? { pulls: 0, rewards: 0 };
        arms.set(prediction.version, { pulls: arm.pulls + 1, rewards: arm.rewards + truth });
        rewards.set(prediction.deployment, arms);
      }
      for (const [deployment, deltas] of rewards) await deps.addRewards(deployment, deltas);
    },
  };
}

/**
 * The predicted label of each row: the `label` output when the model has one, else the first
 * output's first column thresholded at 0.5 (a probability).
 */
export function labelsOf(outputs: ReadonlyMap<string, TensorValue>): number[] {
  const label = outputs.get('label');
  if (label) return Array.from(label.data as ArrayLike<number | bigint>, Number);
  const first = outputs.values().next().value;
  if (!first || first.shape.length === 0) return [];
  const rows = first.shape[0] ?? 1;
  const width = rows === 0 ? 0 : first.data.length / rows;
  const data = first.data as ArrayLike<number | bigint>;
  return Array.from({ length: rows }, (_, row) => (Number(data[row * width]) >= 0.5 ? 1 : 0));
}
