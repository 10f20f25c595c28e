import { randomUUID } from 'node:crypto';
import { clone, create, fromJson, type MessageInitShape, toJson } from '@bufbuild/protobuf';
import { durationMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AppError, type Logger } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import {
  DeploymentRolledBackSchema,
  DeploymentRolledOutSchema,
  DeploymentTrafficChangedSchema,
} from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import {
  BanditAlgorithm,
  type CanaryStrategy,
  CanaryStrategySchema,
  RolloutPolicySchema,
  RouteRole,
  type RouteSchema,
  type SloCheckSchema,
  type TrafficSplit,
  TrafficSplitSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import type { Collection, Doc, OutboxEntry } from '@flywheel/store';
import type { DeploymentRecord } from '../deployments/deployment-records.ts';
import type { KeyedLock } from '../deployments/keyed-lock.ts';
import type { LoadTarget } from '../deployments/load-target.ts';
import type { ResolvedVersion } from '../deployments/model-resolver.ts';
import type { RolloutRecord, SloCheckRecord } from '../deployments/rollout-records.ts';
import type { ServedModels } from '../deployments/served-models.ts';
import type { LiveModel } from '../runtime/live-model.ts';
import {
  defaultStickyParameter,
  type RouteEntry,
  routesOf,
  stableRoutes,
  type TrafficPlan,
  type TrafficRouter,
} from './traffic-router.ts';
import type { TrafficStats } from './traffic-stats.ts';

/** ML metrics a canary's metric gates can name: judged on ground truth joined by request id. */
export const supportedMetrics = ['accuracy'] as const;

/** Candidate requests (or labelled predictions) a canary step needs before it is judged. */
export const minJudgedSamples = 10;

const source = { source: 'flywheel/serving' };

/**
 * Traffic strategies of deployments (canary, A/B, shadow, bandit) and their rollouts. Every change
 * of traffic is one store write of the deployment record (its `rollout`, and the stable version
 * when it changes) with its event in the outbox: `deployment.traffic-changed` when a strategy
 * starts or a canary steps, `deployment.rolled-out` when a canary is promoted,
 * `deployment.rolled-back` when it fails a check (automatic) or on Rollback.
 */
export interface Rollouts {
  /**
   * Loads the versions the split needs (besides the stable one) and starts it, replacing any
   * strategy in progress (rolled back first, in the same write).
   *
   * @throws AppError not_found for an unknown deployment; failed_precondition when it has no
   *   stable version yet; invalid_argument naming the field for a bad split (no candidate, unknown
   *   metric, an arm listed twice…); what loading a version throws (not_found, data_loss…).
   */
  setTrafficSplit(
    name: string,
    split: TrafficSplit,
    reason: string,
    options: { signal: AbortSignal },
  ): Promise<{ record: DeploymentRecord; rollout: RolloutRecord }>;
  /**
   * Ends the strategy in progress and sends all traffic to the stable version, or to `toVersion`
   * (loaded when it is not already), which becomes the stable version.
   *
   * @throws AppError not_found for an unknown deployment or version; failed_precondition when
   *   there is nothing to roll back (no strategy in progress and no `toVersion`).
   */
  rollback(
    name: string,
    toVersion: number,
    reason: string,
    options: { signal: AbortSignal },
  ): Promise<DeploymentRecord>;
  /**
   * For a deployment sync that loaded a new target version while another is live: when the
   * deployment has a rollout policy, starts a canary of `model` instead of swapping it in and
   * returns true (the caller must not activate it). Call under the deployment's lock.
   */
  startPolicyCanary(
    doc: Doc<DeploymentRecord>,
    model: LiveModel,
    resolved: ResolvedVersion,
    signal: AbortSignal,
  ): Promise<boolean>;
  /**
   * On startup, before deployments are restored: a strategy does not survive a restart (its extra
   * versions are not reloaded, traffic goes to the stable version), so every rollout stored as in
   * progress is ended as rolled back, with `deployment.rolled-back`. Resolves with their names.
   */
  endInterrupted(options: { signal: AbortSignal }): Promise<string[]>;
  /** Stops the canary timers. */
  close(): void;
}

export interface RolloutsDeps {
  deployments: Collection<DeploymentRecord>;
  served: ServedModels;
  router: TrafficRouter;
  stats: TrafficStats;
  loadTarget: LoadTarget;
  lock: KeyedLock;
  log: Logger;
  now?: () => Date;
}

export function createRollouts(deps: RolloutsDeps): Rollouts {
  const { deployments, served, router, stats, lock, log } = deps;
  const now = deps.now ?? (() => new Date());
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  const write = (
    doc: Doc<DeploymentRecord>,
    changes: Partial<DeploymentRecord>,
    outbox: OutboxEntry[],
    signal: AbortSignal,
  ) =>
    deployments.put(
      doc.id,
      { ...doc.data, ...changes, updateTime: now().toISOString() },
      { expectedVersion: doc.version, signal, outbox },
    );

  const getDoc = async (name: string, signal: AbortSignal): Promise<Doc<DeploymentRecord>> => {
    const doc = await deployments.get(name, { signal });
    if (!doc) throw new AppError('not_found', `deployment "${name}" does not exist`);
    return doc;
  };

  const loadVersion = async (record: DeploymentRecord, version: number, signal: AbortSignal) => {
    const load = await deps.loadTarget({ ...record, alias: '', pinnedVersion: version }, undefined, {
      signal,
    });
    if (load.kind === 'loaded') return load;
    if (load.kind === 'failed') throw load.error;
    throw new AppError('internal', `loading version ${version} of "${record.name}" ended as ${load.kind}`);
  };

  const trafficChanged = (
    record: DeploymentRecord,
    routes: RouteEntry[],
    previous: RouteEntry[],
    rolloutId: string,
    reason: string,
  ) =>
    toOutboxEntry(
      newEvent(
        DeploymentTrafficChangedSchema,
        {
          deploymentName: record.name,
          team: record.team,
          modelName: record.modelName,
          routes: routes.map(routeMessage),
          previousRoutes: previous.map(routeMessage),
          rolloutId,
          reason,
        },
        source,
      ),
    );

  const rolledBack = (
    record: DeploymentRecord,
    to: number,
    from: number,
    rolloutId: string,
    reason: string,
    failed: SloCheckRecord[],
  ) =>
    toOutboxEntry(
      newEvent(
        DeploymentRolledBackSchema,
        {
          deploymentName: record.name,
          team: record.team,
          modelName: record.modelName,
          modelVersion: BigInt(to),
          fromVersion: BigInt(from),
          rolloutId,
          reason,
          automatic: failed.length > 0,
          failedChecks: failed.map(checkMessage),
        },
        source,
      ),
    );

  const active = (rollout: RolloutRecord | undefined): rollout is RolloutRecord =>
    rollout !== undefined && (rollout.state === 'progressing' || rollout.state === 'paused');

  /** The version a rollout takes out of traffic when it ends. */
  const fromVersionOf = (rollout: RolloutRecord, stable: number): number =>
    rollout.candidateVersion || (rollout.routes.find((route) => route.version !== stable)?.version ?? stable);

  const schedule = (name: string, delayMs: number): void => {
    if (closed) return;
    clearTimeout(timers.get(name));
    const timer = setTimeout(() => {
      timers.delete(name);
      void lock
        .run(name, () => tick(name))
        .catch((error: unknown) => {
          log.warn('canary check failed; trying again', { deployment: name, error: AppError.from(error) });
          schedule(name, delayMs);
        });
    }, delayMs);
    timer.unref();
    timers.set(name, timer);
  };

  const startStep = (name: string, stable: number, candidate: number): void => {
    stats.watch(name, stable);
    stats.watch(name, candidate);
  };

  /** Judges the current canary step: rolls back on a failed check, steps or promotes when baked. */
  const tick = async (name: string): Promise<void> => {
    const signal = AbortSignal.timeout(10_000);
    const doc = await deployments.get(name, { signal });
    const record = doc?.data;
    const rollout = record?.rollout;
    if (!doc || !record || !rollout || rollout.state !== 'progressing') return;
    const canary = canaryOf(rollout);
    if (!canary) return;
    const candidate = rollout.candidateVersion;
    const checks = evaluate(canary, stats, name, record.stableVersion, candidate, now());
    const judged = checks.filter((check) => check.sampleCount >= neededSamples(canary));
    const failed = judged.filter((check) => !check.passed);
    const bakeMs = bakeMsOf(canary);
    if (failed.length > 0) {
      const reason = `canary version ${candidate} failed ${failed
        .map((check) => `${check.name} (${round(check.observed)} against ${round(check.threshold)})`)
        .join(', ')}`;
      await write(
        doc,
        {
          state: 'ready',
          stateMessage: '',
          rollout: {
            ...rollout,
            state: 'rolled_back',
            routes: stableRoutes(record.stableVersion),
            endTime: now().toISOString(),
            checks,
            message: reason,
          },
        },
        [rolledBack(record, record.stableVersion, candidate, rollout.id, reason, failed)],
        signal,
      );
      router.clear(name);
      stats.unwatch(name);
      log.warn('canary rolled back', { deployment: name, candidate, reason });
      return;
    }
    const baked = now().getTime() >= Date.parse(rollout.stepEndTime);
    const enough = stats.window(name, candidate).requests >= neededSamples(canary);
    if (!baked || !enough) {
      await maybeStoreChecks(doc, rollout, checks, signal);
      schedule(name, tickMs(bakeMs));
      return;
    }
    const steps = canary.stepPercents;
    const next = rollout.stepIndex + 1;
    if (next < steps.length) {
      const percent = steps[next]!;
      const plan: TrafficPlan = { kind: 'canary', candidate, percent };
      const routes = routesOf(plan, record.stableVersion);
      const time = now();
      await write(
        doc,
        {
          rollout: {
            ...rollout,
            stepIndex: next,
            routes,
            stepStartTime: time.toISOString(),
            stepEndTime: new Date(time.getTime() + bakeMs).toISOString(),
            checks,
            message: `step ${next + 1} of ${steps.length} passed its checks`,
          },
        },
        [
          trafficChanged(
            record,
            routes,
            rollout.routes,
            rollout.id,
            `canary step ${next + 1} of ${steps.length}`,
          ),
        ],
        signal,
      );
      const model = router.model(name, candidate);
      if (model) router.set(name, plan, new Map([[candidate, model]]));
      startStep(name, record.stableVersion, candidate);
      schedule(name, tickMs(bakeMs));
      return;
    }
    if (!canary.autoPromote) {
      await write(
        doc,
        {
          rollout: {
            ...rollout,
            state: 'paused',
            checks,
            message: 'every step passed; waiting to be promoted',
          },
        },
        [],
        signal,
      );
      return;
    }
    await promote(doc, rollout, checks, signal);
  };

  const maybeStoreChecks = async (
    doc: Doc<DeploymentRecord>,
    rollout: RolloutRecord,
    checks: SloCheckRecord[],
    signal: AbortSignal,
  ): Promise<void> => {
    const changed =
      checks.length !== rollout.checks.length ||
      checks.some((check, i) => check.sampleCount !== rollout.checks[i]?.sampleCount);
    if (changed) await write(doc, { rollout: { ...rollout, checks } }, [], signal);
  };

  const promote = async (
    doc: Doc<DeploymentRecord>,
    rollout: RolloutRecord,
    checks: SloCheckRecord[],
    signal: AbortSignal,
  ): Promise<void> => {
    const record = doc.data;
    const name = record.name;
    const candidate = rollout.candidateVersion;
    const model = router.model(name, candidate);
    if (!model) throw new AppError('failed_precondition', `candidate version ${candidate} is not loaded`);
    await write(
      doc,
      {
        state: 'ready',
        stateMessage: '',
        stableVersion: candidate,
        stableArtifactSha256: rollout.candidateArtifactSha256,
        rollout: {
          ...rollout,
          state: 'succeeded',
          routes: stableRoutes(candidate),
          endTime: now().toISOString(),
          checks,
          message: `version ${candidate} passed every step and is stable`,
        },
      },
      [
        toOutboxEntry(
          newEvent(
            DeploymentRolledOutSchema,
            {
              deploymentName: name,
              team: record.team,
              modelName: record.modelName,
              modelVersion: BigInt(candidate),
              previousVersion: BigInt(record.stableVersion),
              rolloutId: rollout.id,
              checks: checks.map(checkMessage),
            },
            source,
          ),
        ),
      ],
      signal,
    );
    const kept = router.clear(name, candidate);
    if (kept) served.activate(name, kept);
    stats.unwatch(name);
    log.info('canary promoted', { deployment: name, version: candidate });
  };

  /** Starts a canary (stored with its event); the caller has loaded the candidate. */
  const startCanary = async (
    doc: Doc<DeploymentRecord>,
    canary: CanaryStrategy,
    model: LiveModel,
    artifactSha256: string,
    reason: string,
    signal: AbortSignal,
    replacing: OutboxEntry[],
  ): Promise<{ record: DeploymentRecord; rollout: RolloutRecord }> => {
    const record = doc.data;
    const name = record.name;
    const candidate = model.version;
    const split = canarySplit(canary, candidate);
    const plan: TrafficPlan = { kind: 'canary', candidate, percent: canary.stepPercents[0]! };
    const routes = routesOf(plan, record.stableVersion);
    const time = now();
    const rollout: RolloutRecord = {
      id: randomUUID(),
      state: 'progressing',
      trafficSplit: toJson(TrafficSplitSchema, split),
      stableVersion: record.stableVersion,
      candidateVersion: candidate,
      candidateArtifactSha256: artifactSha256,
      stepIndex: 0,
      routes,
      startTime: time.toISOString(),
      stepStartTime: time.toISOString(),
      stepEndTime: new Date(time.getTime() + bakeMsOf(canary)).toISOString(),
      endTime: '',
      checks: [],
      message: `step 1 of ${canary.stepPercents.length}`,
    };
    const previous =
      record.rollout && active(record.rollout) ? record.rollout.routes : stableRoutes(record.stableVersion);
    const stored = await write(
      doc,
      { state: 'rolling_out', rollout },
      [...replacing, trafficChanged(record, routes, previous, rollout.id, reason)],
      signal,
    );
    router.set(name, plan, new Map([[candidate, model]]));
    startStep(name, record.stableVersion, candidate);
    schedule(name, tickMs(bakeMsOf(canary)));
    return { record: stored.data, rollout };
  };

  const setTrafficSplit: Rollouts['setTrafficSplit'] = (name, split, reason, { signal }) =>
    lock.run(name, async () => {
      const doc = await getDoc(name, signal);
      const record = doc.data;
      const stable = record.stableVersion;
      if (stable === 0 || !served.get(name)?.live) {
        throw new AppError('failed_precondition', `deployment "${name}" has no stable version serving yet`);
      }
      const wanted = versionsOf(split);
      const models = new Map<number, LiveModel>();
      let candidateSha = '';
      try {
        for (const version of wanted) {
          if (version === stable) continue;
          const existing = router.model(name, version);
          if (existing) {
            models.set(version, existing);
            continue;
          }
          const load = await loadVersion(record, version, signal);
          models.set(version, load.model);
          candidateSha = load.resolved.artifactSha256;
        }
      } catch (error) {
        for (const [version, model] of models) if (router.model(name, version) !== model) void model.retire();
        throw error;
      }
      const replacing: OutboxEntry[] = [];
      if (record.rollout && active(record.rollout)) {
        replacing.push(
          rolledBack(
            record,
            stable,
            fromVersionOf(record.rollout, stable),
            record.rollout.id,
            `replaced by a new traffic split${reason ? `: ${reason}` : ''}`,
            [],
          ),
        );
      }
      clearTimeout(timers.get(name));
      if (split.strategy.case === 'canary') {
        const candidate = Number(split.strategy.value.candidateVersion);
        const model = models.get(candidate)!;
        const sha = candidateSha || record.rollout?.candidateArtifactSha256 || model.artifactSha256;
        return startCanary(
          doc,
          split.strategy.value,
          model,
          sha,
          reason || 'canary started',
          signal,
          replacing,
        );
      }
      const plan = planOf(split, stable);
      const routes = routesOf(plan, stable);
      const time = now().toISOString();
      const rollout: RolloutRecord = {
        id: randomUUID(),
        state: 'progressing',
        trafficSplit: toJson(TrafficSplitSchema, split),
        stableVersion: stable,
        candidateVersion: 0,
        candidateArtifactSha256: '',
        stepIndex: 0,
        routes,
        startTime: time,
        stepStartTime: time,
        stepEndTime: '',
        endTime: '',
        checks: [],
        message: `${plan.kind} started`,
      };
      const previous =
        record.rollout && active(record.rollout) ? record.rollout.routes : stableRoutes(stable);
      const stored = await write(
        doc,
        { state: 'rolling_out', rollout },
        [
          ...replacing,
          trafficChanged(record, routes, previous, rollout.id, reason || `${plan.kind} started`),
        ],
        signal,
      );
      router.set(name, plan, models);
      stats.unwatch(name);
      return { record: stored.data, rollout };
    });

  const rollback: Rollouts['rollback'] = (name, toVersion, reason, { signal }) =>
    lock.run(name, async () => {
      const doc = await getDoc(name, signal);
      const record = doc.data;
      const stable = record.stableVersion;
      const rollout = record.rollout && active(record.rollout) ? record.rollout : undefined;
      const why = reason || 'manual rollback';
      if (toVersion === 0 || toVersion === stable) {
        if (!rollout) {
          throw new AppError(
            'failed_precondition',
            `deployment "${name}" has no rollout in progress; name the version to roll back to (to_version)`,
          );
        }
        clearTimeout(timers.get(name));
        const stored = await write(
          doc,
          {
            state: 'ready',
            stateMessage: '',
            rollout: {
              ...rollout,
              state: 'rolled_back',
              routes: stableRoutes(stable),
              endTime: now().toISOString(),
              message: why,
            },
          },
          [rolledBack(record, stable, fromVersionOf(rollout, stable), rollout.id, why, [])],
          signal,
        );
        router.clear(name);
        stats.unwatch(name);
        return stored.data;
      }
      const load = await loadVersion(record, toVersion, signal);
      clearTimeout(timers.get(name));
      let stored: Doc<DeploymentRecord>;
      try {
        stored = await write(
          doc,
          {
            state: 'ready',
            stateMessage: '',
            stableVersion: toVersion,
            stableArtifactSha256: load.resolved.artifactSha256,
            ...(rollout
              ? {
                  rollout: {
                    ...rollout,
                    state: 'rolled_back' as const,
                    routes: stableRoutes(toVersion),
                    endTime: now().toISOString(),
                    message: why,
                  },
                }
              : {}),
          },
          [rolledBack(record, toVersion, stable, rollout?.id ?? '', why, [])],
          signal,
        );
      } catch (error) {
        void load.model.retire();
        throw error;
      }
      router.clear(name);
      stats.unwatch(name);
      served.activate(name, load.model);
      return stored.data;
    });

  const startPolicyCanary: Rollouts['startPolicyCanary'] = async (doc, model, resolved, signal) => {
    const record = doc.data;
    const policy =
      record.rolloutPolicy === null ? undefined : fromJson(RolloutPolicySchema, record.rolloutPolicy);
    const canary = policy?.canary;
    if (!canary || canary.stepPercents.length === 0 || record.stableVersion === 0) return false;
    const current = record.rollout;
    if (
      current &&
      active(current) &&
      current.candidateVersion === resolved.version &&
      router.model(record.name, resolved.version)
    ) {
      void model.retire();
      return true;
    }
    const replacing: OutboxEntry[] = [];
    if (current && active(current)) {
      replacing.push(
        rolledBack(
          record,
          record.stableVersion,
          fromVersionOf(current, record.stableVersion),
          current.id,
          `replaced by a rollout of version ${resolved.version}`,
          [],
        ),
      );
    }
    try {
      await startCanary(
        doc,
        canary,
        model,
        resolved.artifactSha256,
        `rolling out version ${resolved.version} under the rollout policy`,
        signal,
        replacing,
      );
    } catch (error) {
      void model.retire();
      throw error;
    }
    return true;
  };

  const endInterrupted: Rollouts['endInterrupted'] = async ({ signal }) => {
    const docs = await deployments.find({}, { limit: 10_000, signal });
    const ended: string[] = [];
    for (const { id } of docs) {
      await lock.run(id, async () => {
        const doc = await deployments.get(id, { signal });
        const rollout = doc?.data.rollout;
        if (!doc || !rollout || !active(rollout) || router.plan(id)) return;
        const record = doc.data;
        const reason = 'serving restarted; strategies end with the process that ran them';
        await write(
          doc,
          {
            state: record.state === 'rolling_out' ? 'ready' : record.state,
            rollout: {
              ...rollout,
              state: 'rolled_back',
              routes: stableRoutes(record.stableVersion),
              endTime: now().toISOString(),
              message: reason,
            },
          },
          [
            rolledBack(
              record,
              record.stableVersion,
              fromVersionOf(rollout, record.stableVersion),
              rollout.id,
              reason,
              [],
            ),
          ],
          signal,
        );
        ended.push(id);
      });
    }
    if (ended.length > 0)
      log.warn('rollouts in progress at the last stop were rolled back', { deployments: ended });
    return ended;
  };

  return {
    setTrafficSplit,
    rollback,
    startPolicyCanary,
    endInterrupted,
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** The rollout's canary strategy, if it is a canary. */
function canaryOf(rollout: RolloutRecord): CanaryStrategy | undefined {
  const split = fromJson(TrafficSplitSchema, rollout.trafficSplit);
  return split.strategy.case === 'canary' ? split.strategy.value : undefined;
}

/** The split a canary of `candidate` runs (the policy's canary with its candidate filled in). */
function canarySplit(canary: CanaryStrategy, candidate: number): TrafficSplit {
  const value = clone(CanaryStrategySchema, canary);
  value.candidateVersion = BigInt(candidate);
  return create(TrafficSplitSchema, { strategy: { case: 'canary', value } });
}

function bakeMsOf(canary: CanaryStrategy): number {
  return canary.bakeDuration ? Math.max(0, durationMs(canary.bakeDuration)) : 60_000;
}

/** How often a canary is judged: a fifth of its bake, between 20 ms and 1 s. */
function tickMs(bakeMs: number): number {
  return Math.min(1000, Math.max(20, bakeMs / 5));
}

function neededSamples(canary: CanaryStrategy): number {
  return Math.max(canary.minRequests, minJudgedSamples);
}

/** The SLO checks of a canary step so far (latency in ms). */
function evaluate(
  canary: CanaryStrategy,
  stats: TrafficStats,
  name: string,
  stable: number,
  candidate: number,
  time: Date,
): SloCheckRecord[] {
  const window = stats.window(name, candidate);
  const checkTime = time.toISOString();
  const checks: SloCheckRecord[] = [];
  const slo = canary.slo;
  if (slo?.maxLatencyP99) {
    const threshold = durationMs(slo.maxLatencyP99);
    checks.push({
      name: 'latency_p99',
      threshold,
      observed: window.p99Ms,
      passed: window.p99Ms <= threshold,
      sampleCount: window.requests,
      checkTime,
    });
  }
  if (slo && slo.maxErrorRate > 0) {
    const observed = window.requests === 0 ? 0 : window.errors / window.requests;
    checks.push({
      name: 'error_rate',
      threshold: slo.maxErrorRate,
      observed,
      passed: observed <= slo.maxErrorRate,
      sampleCount: window.requests,
      checkTime,
    });
  }
  for (const gate of slo?.metricGates ?? []) {
    // Only accuracy (see supportedMetrics): share of labelled predictions that were right.
    const observed = window.labelled === 0 ? 0 : window.correct / window.labelled;
    let threshold = 0;
    let passed = true;
    switch (gate.bound.case) {
      case 'min':
        threshold = gate.bound.value;
        passed = observed >= threshold;
        break;
      case 'max':
        threshold = gate.bound.value;
        passed = observed <= threshold;
        break;
      case 'maxRegression': {
        const base = stats.window(name, stable);
        const stableAccuracy = base.labelled === 0 ? 0 : base.correct / base.labelled;
        threshold = stableAccuracy - gate.bound.value;
        passed = base.labelled === 0 || observed >= threshold;
        break;
      }
    }
    checks.push({ name: gate.metric, threshold, observed, passed, sampleCount: window.labelled, checkTime });
  }
  return checks;
}

/** Every version a split routes to or mirrors to. */
function versionsOf(split: TrafficSplit): number[] {
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
function planOf(split: TrafficSplit, stable: number): TrafficPlan {
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

const roles = {
  stable: RouteRole.STABLE,
  canary: RouteRole.CANARY,
  variant: RouteRole.VARIANT,
  shadow: RouteRole.SHADOW,
  arm: RouteRole.ARM,
} as const;

/** A stored route as a Route message. */
export function routeMessage(route: RouteEntry): MessageInitShape<typeof RouteSchema> {
  return { modelVersion: BigInt(route.version), role: roles[route.role], percent: route.percent };
}

/** A stored check as an SloCheck message. */
export function checkMessage(check: SloCheckRecord): MessageInitShape<typeof SloCheckSchema> {
  return {
    name: check.name,
    threshold: check.threshold,
    observed: check.observed,
    passed: check.passed,
    sampleCount: BigInt(check.sampleCount),
    checkTime: timestampFromDate(new Date(check.checkTime)),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
