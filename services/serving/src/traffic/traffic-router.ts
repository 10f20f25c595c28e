import type { ModelInferRequest } from '@flywheel/proto/inference/grpc_service_pb.js';
import type { RouteEntry } from '../deployments/rollout-records.ts';
import type { LiveModel } from '../runtime/live-model.ts';

/** How a deployment's requests pick a version while a strategy runs. */
export type TrafficPlan =
  /** `percent` of requests go to `candidate`, the rest to stable. */
  | { kind: 'canary'; candidate: number; percent: number }
  /** Weighted variants; a request carrying `stickyParameter` always lands on the same variant. */
  | { kind: 'ab'; variants: { version: number; weight: number }[]; stickyParameter: string }
  /** Stable answers; `mirrorPercent` of requests are also run on each candidate, compared, dropped. */
  | { kind: 'shadow'; candidates: number[]; mirrorPercent: number; windowMs: number }
  /** Arms chosen by epsilon-greedy or Thompson sampling on rewards joined by request id. */
  | { kind: 'bandit'; algorithm: 'epsilon-greedy' | 'thompson'; arms: number[]; epsilon: number };

/** Rewards an arm has earned: count and sum of rewards (each in [0, 1] for Thompson). */
export interface ArmRewards {
  pulls: number;
  rewards: number;
}

/** The version a request was routed to; `undefined` model means the deployment's stable version. */
export interface RouteChoice {
  version: number | 'stable';
}

/**
 * Which version of a deployment serves each request while a strategy runs, and the loaded
 * versions other than the stable one (candidates, variants, shadows, arms). Deployments without a
 * plan send everything to their stable version.
 */
export interface TrafficRouter {
  /**
   * Installs `plan` with the extra versions it needs (the stable version is not among them).
   * Extra versions of the previous plan that the new one does not use are retired.
   */
  set(deployment: string, plan: TrafficPlan, models: ReadonlyMap<number, LiveModel>): void;
  /**
   * Removes the plan; extra versions are retired except `keep` (a promoted candidate, handed to
   * the stable slot by the caller). Returns the kept model, if any.
   */
  clear(deployment: string, keep?: number): LiveModel | undefined;
  plan(deployment: string): TrafficPlan | undefined;
  /** An extra version loaded for the deployment's plan. */
  model(deployment: string, version: number): LiveModel | undefined;
  /** Picks the version for one request (no explicit model_version). */
  choose(deployment: string, request: ModelInferRequest, stableVersion: number): RouteChoice;
  /** The shadow versions a request should be mirrored to (empty for most). */
  shadows(deployment: string): LiveModel[];
  /** Adds a reward to a bandit arm. */
  reward(deployment: string, version: number, value: number): void;
  /** Replaces a bandit's arm rewards (with the stored totals every replica adds to). */
  setRewards(deployment: string, rewards: ReadonlyMap<number, ArmRewards>): void;
  /** Each bandit arm's rewards so far. */
  rewards(deployment: string): Map<number, ArmRewards>;
  /** Routes as they are now, for status and events. */
  routes(deployment: string, stableVersion: number): RouteEntry[];
  /** Retires every extra version. */
  close(): Promise<void>;
}

interface Entry {
  plan: TrafficPlan;
  models: Map<number, LiveModel>;
  rewards: Map<number, ArmRewards>;
}

/** The parameter A/B tests read their sticky key from when the strategy names none. */
export const defaultStickyParameter = 'flywheel.sticky_key';

export function createTrafficRouter(options: { random?: () => number } = {}): TrafficRouter {
  const random = options.random ?? Math.random;
  const entries = new Map<string, Entry>();

  const retireUnused = (
    previous: Map<number, LiveModel> | undefined,
    next: ReadonlyMap<number, LiveModel>,
  ) => {
    for (const [version, model] of previous ?? []) {
      if (next.get(version) !== model) void model.retire();
    }
  };

  const bandit = (entry: Entry, plan: Extract<TrafficPlan, { kind: 'bandit' }>): number => {
    const arms = plan.arms;
    if (plan.algorithm === 'epsilon-greedy') {
      if (random() < plan.epsilon) return arms[Math.floor(random() * arms.length)] ?? arms[0]!;
      let best = arms[0]!;
      let bestMean = -Infinity;
      for (const arm of arms) {
        const stats = entry.rewards.get(arm);
        // Unpulled arms go first so each is tried at least once.
        const mean = !stats || stats.pulls === 0 ? Infinity : stats.rewards / stats.pulls;
        if (mean > bestMean) {
          best = arm;
          bestMean = mean;
        }
      }
      return best;
    }
    let best = arms[0]!;
    let bestSample = -Infinity;
    for (const arm of arms) {
      const stats = entry.rewards.get(arm) ?? { pulls: 0, rewards: 0 };
      const successes = Math.min(Math.max(stats.rewards, 0), stats.pulls);
      const sample = betaSample(1 + successes, 1 + stats.pulls - successes, random);
      if (sample > bestSample) {
        best = arm;
        bestSample = sample;
      }
    }
    return best;
  };

  return {
    set(deployment, plan, models) {
      const previous = entries.get(deployment);
      retireUnused(previous?.models, models);
      const keepRewards = previous?.plan.kind === 'bandit' && plan.kind === 'bandit';
      entries.set(deployment, {
        plan,
        models: new Map(models),
        rewards: keepRewards ? previous.rewards : new Map(),
      });
    },
    clear(deployment, keep) {
      const entry = entries.get(deployment);
      if (!entry) return undefined;
      entries.delete(deployment);
      let kept: LiveModel | undefined;
      for (const [version, model] of entry.models) {
        if (version === keep) kept = model;
        else void model.retire();
      }
      return kept;
    },
    plan: (deployment) => entries.get(deployment)?.plan,
    model: (deployment, version) => entries.get(deployment)?.models.get(version),
    choose(deployment, request, stableVersion) {
      const entry = entries.get(deployment);
      if (!entry) return { version: 'stable' };
      const plan = entry.plan;
      let version: number;
      switch (plan.kind) {
        case 'canary':
          version = random() * 100 < plan.percent ? plan.candidate : stableVersion;
          break;
        case 'ab': {
          const key = stickyKeyOf(request, plan.stickyParameter);
          const point = key === undefined ? random() : hashToUnit(`${deployment}\u0000${key}`);
          version = pickWeighted(plan.variants, point);
          break;
        }
        case 'shadow':
          return { version: 'stable' };
        case 'bandit':
          version = bandit(entry, plan);
          break;
      }
      return version === stableVersion ? { version: 'stable' } : { version };
    },
    shadows(deployment) {
      const entry = entries.get(deployment);
      if (entry?.plan.kind !== 'shadow') return [];
      if (entry.plan.mirrorPercent < 100 && random() * 100 >= entry.plan.mirrorPercent) return [];
      return [...entry.models.values()];
    },
    reward(deployment, version, value) {
      const entry = entries.get(deployment);
      if (entry?.plan.kind !== 'bandit' || !entry.plan.arms.includes(version)) return;
      const stats = entry.rewards.get(version) ?? { pulls: 0, rewards: 0 };
      stats.pulls++;
      stats.rewards += value;
      entry.rewards.set(version, stats);
    },
    setRewards(deployment, rewards) {
      const entry = entries.get(deployment);
      if (entry?.plan.kind !== 'bandit') return;
      entry.rewards = new Map([...rewards].map(([version, stats]) => [version, { ...stats }]));
    },
    rewards: (deployment) => new Map(entries.get(deployment)?.rewards ?? []),
    routes(deployment, stableVersion) {
      const plan = entries.get(deployment)?.plan;
      return plan
        ? routesOf(plan, stableVersion, entries.get(deployment)?.rewards)
        : stableRoutes(stableVersion);
    },
    async close() {
      const models = [...entries.values()].flatMap((entry) => [...entry.models.values()]);
      entries.clear();
      await Promise.all(models.map((model) => model.retire()));
    },
  };
}

/** All traffic on the stable version (none before the first load). */
export function stableRoutes(stableVersion: number): RouteEntry[] {
  return stableVersion > 0 ? [{ version: stableVersion, role: 'stable', percent: 100 }] : [];
}

/** The routes a plan gives, with the bandit's current greedy shares when rewards are known. */
export function routesOf(
  plan: TrafficPlan,
  stableVersion: number,
  rewards?: ReadonlyMap<number, ArmRewards>,
): RouteEntry[] {
  switch (plan.kind) {
    case 'canary':
      return [
        { version: stableVersion, role: 'stable', percent: 100 - plan.percent },
        { version: plan.candidate, role: 'canary', percent: plan.percent },
      ];
    case 'ab': {
      const total = plan.variants.reduce((sum, variant) => sum + variant.weight, 0) || 1;
      return plan.variants.map((variant) => ({
        version: variant.version,
        role: 'variant',
        percent: (100 * variant.weight) / total,
      }));
    }
    case 'shadow':
      return [
        { version: stableVersion, role: 'stable', percent: 100 },
        ...plan.candidates.map((version) => ({
          version,
          role: 'shadow' as const,
          percent: plan.mirrorPercent,
        })),
      ];
    case 'bandit': {
      const means = plan.arms.map((arm) => {
        const stats = rewards?.get(arm);
        return stats && stats.pulls > 0 ? stats.rewards / stats.pulls : 0;
      });
      const best = means.indexOf(Math.max(...means));
      const explore = plan.algorithm === 'epsilon-greedy' ? plan.epsilon : 0;
      return plan.arms.map((version, i) => ({
        version,
        role: 'arm',
        percent: 100 * (explore / plan.arms.length + (i === best ? 1 - explore : 0)),
      }));
    }
  }
}

/** The sticky key of a request: the named parameter as text, if present. */
export function stickyKeyOf(request: ModelInferRequest, parameter: string): string | undefined {
  const choice = request.parameters[parameter || defaultStickyParameter]?.parameterChoice;
  if (!choice || choice.case === undefined) return undefined;
  return String(choice.value);
}

/** Maps a key to [0, 1) with FNV-1a and a murmur3 finaliser: stable across processes and restarts. */
export function hashToUnit(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

function pickWeighted(variants: readonly { version: number; weight: number }[], point: number): number {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  let at = point * total;
  for (const variant of variants) {
    if (at < variant.weight) return variant.version;
    at -= variant.weight;
  }
  return variants[variants.length - 1]!.version;
}

/** A Beta(a, b) draw from two Gamma draws (Marsaglia–Tsang). */
function betaSample(a: number, b: number, random: () => number): number {
  const x = gammaSample(a, random);
  const y = gammaSample(b, random);
  return x / (x + y);
}

function gammaSample(shape: number, random: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, random) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = random() || Number.MIN_VALUE;
      const u2 = random();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}
