import { clone, create, fromJson } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import {
  BanditAlgorithm,
  type CanaryStrategy,
  CanaryStrategySchema,
  type TrafficSplit,
  TrafficSplitSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { RolloutRecord } from '../deployments/rollout-records.ts';
import { supportedMetrics } from './judge-canary.ts';
import { defaultStickyParameter, type TrafficPlan } from './traffic-router.ts';

/** The rollout's canary strategy, if it is a canary. */
export function canaryOf(rollout: RolloutRecord): CanaryStrategy | undefined {
  const split = fromJson(TrafficSplitSchema, rollout.trafficSplit);
  return split.strategy.case === 'canary' ? split.strategy.value : undefined;
}

/** The split a canary of `candidate` runs (the policy's canary with its candidate filled in). */
export function canarySplit(canary: CanaryStrategy, candidate: number): TrafficSplit {
  const value = clone(CanaryStrategySchema, canary);
  value.candidateVersion = BigInt(candidate);
  return create(TrafficSplitSchema, { strategy: { case: 'canary', value } });
}

/**
 * Every version a split routes to or mirrors to, once the split is checked.
 *
 * @throws AppError invalid_argument naming the field: no strategy, no candidate, step percents
 *   out of order, an unknown metric or a gate without a bound, no weighted variant, fewer than
 *   two arms, a reward other than ground truth, a version < 1 or listed twice.
 */
export function versionsOf(split: TrafficSplit): number[] {
  const strategy = split.strategy;
  let versions: bigint[];
  let field: string;
  switch (strategy.case) {
    case 'canary': {
      const canary = strategy.value;
      field = 'traffic_split.canary.candidate_version';
      if (canary.candidateVersion < 1n)
        throw AppError.invalidArgument(field, 'must name the version to roll out');
      const steps = canary.stepPercents;
      if (
        steps.some((percent, i) => !(percent > 0 && percent <= 100) || (i > 0 && percent < steps[i - 1]!))
      ) {
        throw AppError.invalidArgument(
          'traffic_split.canary.step_percents',
          `must be non-decreasing percentages in (0, 100], got [${steps.join(', ')}]`,
        );
      }
      for (const gate of canary.slo?.metricGates ?? []) {
        if (!(supportedMetrics as readonly string[]).includes(gate.metric)) {
          throw AppError.invalidArgument(
            'traffic_split.canary.slo.metric_gates.metric',
            `"${gate.metric}" is not a metric serving can judge; supported: ${supportedMetrics.join(', ')} (from ground-truth.received joined by request id)`,
          );
        }
        if (gate.bound.case === undefined) {
          throw AppError.invalidArgument(
            'traffic_split.canary.slo.metric_gates',
            `gate "${gate.metric}" needs a bound`,
          );
        }
      }
      versions = [canary.candidateVersion];
      break;
    }
    case 'abTest':
      field = 'traffic_split.ab_test.variants.model_version';
      versions = strategy.value.variants.map((variant) => variant.modelVersion);
      if (!strategy.value.variants.some((variant) => variant.weight > 0)) {
        throw AppError.invalidArgument(
          'traffic_split.ab_test.variants.weight',
          'at least one variant needs a weight above 0',
        );
      }
      break;
    case 'shadow':
      field = 'traffic_split.shadow.candidate_versions';
      versions = strategy.value.candidateVersions;
      break;
    case 'bandit':
      field = 'traffic_split.bandit.arm_versions';
      versions = strategy.value.armVersions;
      if (versions.length < 2) throw AppError.invalidArgument(field, 'needs at least two arms');
      if (strategy.value.reward?.eventType && strategy.value.reward.eventType !== 'ground-truth.received') {
        throw AppError.invalidArgument(
          'traffic_split.bandit.reward.event_type',
          `only "ground-truth.received" rewards are joined today, got "${strategy.value.reward.eventType}"`,
        );
      }
      break;
    default:
      throw AppError.invalidArgument(
        'traffic_split',
        'must name a strategy: canary, ab_test, shadow or bandit',
      );
  }
  const numbers = versions.map(Number);
  if (numbers.some((version) => version < 1)) throw AppError.invalidArgument(field, 'versions must be ≥ 1');
  if (new Set(numbers).size !== numbers.length)
    throw AppError.invalidArgument(field, 'lists a version twice');
  return numbers;
}

/** The router plan of a non-canary split. */
export function planOf(split: TrafficSplit, stable: number): TrafficPlan {
  const strategy = split.strategy;
  switch (strategy.case) {
    case 'abTest':
      return {
        kind: 'ab',
        variants: strategy.value.variants.map((variant) => ({
          version: Number(variant.modelVersion),
          weight: variant.weight,
        })),
        stickyParameter: strategy.value.stickyKeyParameter || defaultStickyParameter,
      };
    case 'shadow': {
      const window = strategy.value.compareWindow;
      return {
        kind: 'shadow',
        candidates: strategy.value.candidateVersions.map(Number).filter((version) => version !== stable),
        mirrorPercent: strategy.value.mirrorPercent || 100,
        windowMs: window ? Math.max(10, durationMs(window)) : 10_000,
      };
    }
    case 'bandit':
      return {
        kind: 'bandit',
        algorithm:
          strategy.value.algorithm === BanditAlgorithm.THOMPSON_SAMPLING ? 'thompson' : 'epsilon-greedy',
        arms: strategy.value.armVersions.map(Number),
        epsilon: strategy.value.epsilon,
      };
    default:
      throw AppError.invalidArgument('traffic_split', 'must name a strategy');
  }
}
