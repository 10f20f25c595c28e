import { randomUUID } from 'node:crypto';
import { fromJson, toJson } from '@bufbuild/protobuf';
import { AppError, type Logger } from '@flywheel/core';
import {
  type CanaryStrategy,
  RolloutPolicySchema,
  type TrafficSplit,
  TrafficSplitSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { currentAuditPrincipal } from '@flywheel/rpc';
import type { Collection, Doc, OutboxEntry } from '@flywheel/store';
import type { DeploymentRecord } from '../deployments/deployment-records.ts';
import type { KeyedLock } from '../deployments/keyed-lock.ts';
import type { LoadTarget } from '../deployments/load-target.ts';
import type { ResolvedVersion } from '../deployments/model-resolver.ts';
import type { PolicyCanary } from '../deployments/policy-canary.ts';
import { type RolledOutObserver, rolledOutEvent } from '../deployments/rolled-out-event.ts';
import type { ArmRewardRecord, RolloutRecord, SloCheckRecord } from '../deployments/rollout-records.ts';
import type { ServedModels } from '../deployments/served-models.ts';
import type { LiveModel } from '../runtime/live-model.ts';
import { bakeMsOf, checkIntervalMs, judgeCanary } from './judge-canary.ts';
import { rolledBackEvent, trafficChangedEvent } from './rollout-events.ts';
import {
  currentRoutes,
  fromVersionOf,
  isActive,
  rolledBackRollout,
  startedRollout,
} from './rollout-transitions.ts';
import {
  type ArmRewards,
  routesOf,
  stableRoutes,
  type TrafficPlan,
  type TrafficRouter,
} from './traffic-router.ts';
import { canaryOf, canarySplit, planOf, versionsOf } from './traffic-splits.ts';
import type { TrafficStats } from './traffic-stats.ts';

/**
 * Traffic strategies of deployments (canary, A/B, shadow, bandit) and their rollouts. Every change
 * of traffic is one store write of the deployment record (its `rollout`, and the stable version
 * when it changes) with its event in the outbox: `deployment.traffic-changed` when a strategy
 * starts or a canary steps, `deployment.rolled-out` when a canary is promoted,
 * `deployment.rolled-back` when it fails a check (automatic) or on Rollback.
 */
export interface Rollouts extends PolicyCanary {
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
   * Promotes the canary in progress (progressing or paused, at any step): its candidate becomes
   * the stable version with all traffic, the rollout ends as succeeded with the checks so far, and
   * `deployment.rolled-out` is emitted in the same write; other replicas follow it.
   *
   * @throws AppError not_found for an unknown deployment; failed_precondition when no canary is in
   *   progress (none, or another strategy) or its candidate is not loaded on this replica.
   */
  promote(name: string, reason: string, options: { signal: AbortSignal }): Promise<DeploymentRecord>;
  /**
   * On startup, before deployments are restored: every rollout stored as in progress resumes where
   * it was: its extra versions are loaded again and its plan installed; a canary stays at its
   * stored step (judged on a fresh window, its stored step end kept) and a bandit keeps its stored
   * arm rewards. A rollout whose versions cannot be loaded is ended as rolled back, with
   * `deployment.rolled-back`. Resolves with the names resumed and ended.
   */
  resumeInterrupted(options: { signal: AbortSignal }): Promise<{ resumed: string[]; ended: string[] }>;
  /**
   * Adds rewards this replica joined to a bandit's stored arm totals (a CAS write, retried on a
   * concurrent one) and routes on the new totals, which include every replica's rewards. Does
   * nothing when the deployment runs no bandit.
   */
  addRewards(
    name: string,
    deltas: ReadonlyMap<number, ArmRewards>,
    options: { signal: AbortSignal },
  ): Promise<void>;
  /**
   * One pass over the stored deployments that brings this replica in line with rollouts other
   * replicas started, replaced or ended: a rollout in progress that it does not route yet is
   * resumed (its versions loaded, a canary followed at its stored step); one that ended is ended
   * here too (a promoted candidate becomes the live version). A rollout whose versions cannot be
   * loaded here is left to the next pass (not rolled back: the replica judging it may be fine).
   */
  follow(options: { signal: AbortSignal }): Promise<void>;
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
  /** This replica's instance id: the name it judges canaries under. */
  instanceId: string;
  /** How long a claim to judge a canary lasts unless renewed, ms. */
  leaseMs: number;
  /** Asks for the deployment to be synced with its record (its stable version changed elsewhere). */
  resync?: (name: string) => void;
  /** Called when this replica promoted a canary: its candidate took all the traffic. */
  onRolledOut?: RolledOutObserver;
  now?: () => Date;
}

/**
 * The effects of rollouts: store writes, the router, the stats windows and one timer per canary.
 * Every replica routing a canary ticks it, but only the replica holding its lease (`judge`,
 * `judgeLeaseUntil` in the stored rollout, claimed and renewed in the CAS writes of its
 * decisions) judges it (`judgeCanary`) and writes its steps and end; the others follow what is
 * stored, and claim the canary once the lease has lapsed.
 */
export function createRollouts(deps: RolloutsDeps): Rollouts {
  const { deployments, served, router, stats, lock, log } = deps;
  const now = deps.now ?? (() => new Date());
  const timers = new Map<string, NodeJS.Timeout>();
  /** Deployment → the stored rollout this replica routes, and the canary step its windows are of. */
  const installed = new Map<string, { id: string; stepIndex: number }>();
  let closed = false;

  /** The lease fields of a judge's write: this replica, for another lease from now. */
  const leased = (): Pick<RolloutRecord, 'judge' | 'judgeLeaseUntil'> => ({
    judge: deps.instanceId,
    judgeLeaseUntil: new Date(now().getTime() + deps.leaseMs).toISOString(),
  });

  const write = (
    doc: Doc<DeploymentRecord>,
    changes: Partial<DeploymentRecord>,
    outbox: OutboxEntry[],
    signal: AbortSignal,
  ) =>
    deployments.put(
      doc.id,
      { ...doc.data, ...changes, updateTime: now().toISOString(), updatedBy: currentAuditPrincipal() },
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

  /** The event ending the rollout in progress because another replaces it, if one is in progress. */
  const replaced = (record: DeploymentRecord, reason: string): OutboxEntry[] => {
    const current = record.rollout;
    if (!isActive(current)) return [];
    const stable = record.stableVersion;
    return [rolledBackEvent(record, stable, fromVersionOf(current, stable), current.id, reason, [])];
  };

  /** All traffic back on the stable version and the canary windows dropped. */
  const endStrategy = (name: string): void => {
    router.clear(name);
    stats.unwatch(name);
    installed.delete(name);
  };

  /**
   * Ends here a rollout another replica ended (or replaced): a promoted candidate becomes the live
   * version, a rolled back one leaves traffic; a stable version this replica does not serve yet is
   * synced from the record.
   */
  const followEnd = (record: DeploymentRecord): void => {
    const name = record.name;
    const rollout = record.rollout;
    const mine = installed.get(name);
    if (rollout?.id === mine?.id && rollout?.state === 'succeeded') {
      const kept = router.clear(name, rollout.candidateVersion);
      if (kept) served.activate(name, kept);
      stats.unwatch(name);
      installed.delete(name);
    } else {
      endStrategy(name);
    }
    clearTimeout(timers.get(name));
    timers.delete(name);
    if (served.get(name)?.live?.version !== record.stableVersion) deps.resync?.(name);
    log.info('rollout ended by another replica followed', {
      deployment: name,
      rollout: mine?.id,
      state: rollout?.state,
      stable: record.stableVersion,
    });
  };

  /** Routes a canary another replica judges as stored: its step's share, a fresh window per step. */
  const followStep = (name: string, stable: number, rollout: RolloutRecord): void => {
    const candidate = rollout.candidateVersion;
    const mine = installed.get(name);
    if (mine?.stepIndex === rollout.stepIndex) return;
    const model = router.model(name, candidate);
    const percent = rollout.routes.find((route) => route.version === candidate)?.percent ?? 0;
    if (model) router.set(name, { kind: 'canary', candidate, percent }, new Map([[candidate, model]]));
    startStep(name, stable, candidate);
    installed.set(name, { id: rollout.id, stepIndex: rollout.stepIndex });
  };

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

  /**
   * Follows the stored canary, and judges its current step and applies the decision when this
   * replica holds (or may claim) its lease.
   */
  const tick = async (name: string): Promise<void> => {
    const signal = AbortSignal.timeout(10_000);
    const doc = await deployments.get(name, { signal });
    const record = doc?.data;
    const rollout = record?.rollout;
    const mine = installed.get(name);
    if (!doc || !record) {
      endStrategy(name);
      return;
    }
    if (!rollout || !isActive(rollout) || rollout.id !== mine?.id) {
      if (mine) followEnd(record);
      return;
    }
    const strategy = canaryOf(rollout);
    if (!strategy) return;
    const candidate = rollout.candidateVersion;
    const stable = record.stableVersion;
    followStep(name, stable, rollout);
    const time = now();
    if (rollout.state !== 'progressing' || !mayJudge(rollout, deps.instanceId, time)) {
      schedule(name, checkIntervalMs(strategy));
      return;
    }
    const decision = judgeCanary(
      {
        strategy,
        candidateVersion: candidate,
        stepIndex: rollout.stepIndex,
        stepEndTime: rollout.stepEndTime,
      },
      { candidate: stats.window(name, candidate), stable: stats.window(name, stable) },
      time,
    );
    const { checks } = decision;
    switch (decision.action) {
      case 'roll-back':
        await write(
          doc,
          {
            state: 'ready',
            stateMessage: '',
            rollout: rolledBackRollout(rollout, stable, now(), decision.reason, checks),
          },
          [rolledBackEvent(record, stable, candidate, rollout.id, decision.reason, decision.failed)],
          signal,
        );
        endStrategy(name);
        log.warn('canary rolled back', { deployment: name, candidate, reason: decision.reason });
        return;
      case 'hold':
        if (
          checksChanged(rollout.checks, checks) ||
          leaseDue(rollout, deps.instanceId, time, deps.leaseMs, checkIntervalMs(strategy))
        ) {
          await write(doc, { rollout: { ...rollout, checks, ...leased() } }, [], signal);
        }
        schedule(name, checkIntervalMs(strategy));
        return;
      case 'advance': {
        const steps = strategy.stepPercents.length;
        const plan: TrafficPlan = { kind: 'canary', candidate, percent: decision.percent };
        const routes = routesOf(plan, stable);
        const time = now();
        await write(
          doc,
          {
            rollout: {
              ...rollout,
              stepIndex: decision.stepIndex,
              routes,
              stepStartTime: time.toISOString(),
              stepEndTime: new Date(time.getTime() + bakeMsOf(strategy)).toISOString(),
              checks,
              message: decision.reason,
              ...leased(),
            },
          },
          [
            trafficChangedEvent(
              record,
              routes,
              rollout.routes,
              rollout.id,
              `canary step ${decision.stepIndex + 1} of ${steps}`,
            ),
          ],
          signal,
        );
        const model = router.model(name, candidate);
        if (model) router.set(name, plan, new Map([[candidate, model]]));
        startStep(name, stable, candidate);
        installed.set(name, { id: rollout.id, stepIndex: decision.stepIndex });
        schedule(name, checkIntervalMs(strategy));
        return;
      }
      case 'pause':
        await write(
          doc,
          { rollout: { ...rollout, state: 'paused', checks, message: decision.reason } },
          [],
          signal,
        );
        // Paused, it is followed still: promoted or rolled back through any replica.
        schedule(name, checkIntervalMs(strategy));
        return;
      case 'promote':
        await promote(doc, rollout, checks, decision.reason, signal);
        return;
    }
  };

  const promote = async (
    doc: Doc<DeploymentRecord>,
    rollout: RolloutRecord,
    checks: SloCheckRecord[],
    message: string,
    signal: AbortSignal,
  ): Promise<DeploymentRecord> => {
    const record = doc.data;
    const name = record.name;
    const candidate = rollout.candidateVersion;
    const model = router.model(name, candidate);
    if (!model) throw new AppError('failed_precondition', `candidate version ${candidate} is not loaded`);
    const stored = await write(
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
          message,
        },
      },
      [rolledOutEvent(record, candidate, { rolloutId: rollout.id, checks })],
      signal,
    );
    const kept = router.clear(name, candidate);
    if (kept) served.activate(name, kept);
    stats.unwatch(name);
    installed.delete(name);
    const trigger = rollout.candidateTrigger;
    deps.onRolledOut?.({
      deployment: name,
      resolved: {
        modelName: record.modelName,
        version: candidate,
        artifactSha256: rollout.candidateArtifactSha256,
        ...(trigger ? { trigger } : {}),
      },
      liveAt: now(),
    });
    log.info('canary promoted', { deployment: name, version: candidate, reason: message });
    return stored.data;
  };

  /** Starts a canary (stored with its event); the caller has loaded the candidate. */
  const startCanary = async (
    doc: Doc<DeploymentRecord>,
    canary: CanaryStrategy,
    model: LiveModel,
    resolved: Pick<ResolvedVersion, 'artifactSha256' | 'trigger'>,
    reason: string,
    signal: AbortSignal,
    replacing: OutboxEntry[],
  ): Promise<{ record: DeploymentRecord; rollout: RolloutRecord }> => {
    const record = doc.data;
    const name = record.name;
    const candidate = model.version;
    const plan: TrafficPlan = { kind: 'canary', candidate, percent: canary.stepPercents[0]! };
    const routes = routesOf(plan, record.stableVersion);
    const time = now();
    const rollout: RolloutRecord = {
      ...startedRollout({
        id: randomUUID(),
        trafficSplit: toJson(TrafficSplitSchema, canarySplit(canary, candidate)),
        stableVersion: record.stableVersion,
        candidateVersion: candidate,
        candidateArtifactSha256: resolved.artifactSha256,
        routes,
        time,
        stepEndTime: new Date(time.getTime() + bakeMsOf(canary)).toISOString(),
        message: `step 1 of ${canary.stepPercents.length}`,
      }),
      ...leased(),
      ...(resolved.trigger ? { candidateTrigger: { ...resolved.trigger } } : {}),
    };
    const previous = currentRoutes(record.rollout, record.stableVersion);
    const stored = await write(
      doc,
      { state: 'rolling_out', rollout },
      [...replacing, trafficChangedEvent(record, routes, previous, rollout.id, reason)],
      signal,
    );
    router.set(name, plan, new Map([[candidate, model]]));
    startStep(name, record.stableVersion, candidate);
    installed.set(name, { id: rollout.id, stepIndex: 0 });
    schedule(name, checkIntervalMs(canary));
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
      let candidateTrigger: ResolvedVersion['trigger'];
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
          candidateTrigger = load.resolved.trigger;
        }
      } catch (error) {
        for (const [version, model] of models) if (router.model(name, version) !== model) void model.retire();
        throw error;
      }
      const replacing = replaced(record, `replaced by a new traffic split${reason ? `: ${reason}` : ''}`);
      clearTimeout(timers.get(name));
      if (split.strategy.case === 'canary') {
        const candidate = Number(split.strategy.value.candidateVersion);
        const model = models.get(candidate)!;
        const sha = candidateSha || record.rollout?.candidateArtifactSha256 || model.artifactSha256;
        // A candidate already loaded here is the running rollout's: the trigger it stored carries over.
        const kept =
          record.rollout?.candidateVersion === candidate ? record.rollout.candidateTrigger : undefined;
        const trigger = candidateSha ? candidateTrigger : kept;
        return startCanary(
          doc,
          split.strategy.value,
          model,
          { artifactSha256: sha, ...(trigger ? { trigger } : {}) },
          reason || 'canary started',
          signal,
          replacing,
        );
      }
      const plan = planOf(split, stable);
      // A bandit replacing a bandit keeps what it learned (the router keeps its rewards too).
      const learned =
        plan.kind === 'bandit' && router.plan(name)?.kind === 'bandit' ? router.rewards(name) : undefined;
      const routes = routesOf(plan, stable, learned);
      const started = startedRollout({
        id: randomUUID(),
        trafficSplit: toJson(TrafficSplitSchema, split),
        stableVersion: stable,
        candidateVersion: 0,
        candidateArtifactSha256: '',
        routes,
        time: now(),
        stepEndTime: '',
        message: `${plan.kind} started`,
      });
      const rollout: RolloutRecord = learned
        ? { ...started, armRewards: [...learned].map(([version, stats]) => ({ version, ...stats })) }
        : started;
      const previous = currentRoutes(record.rollout, stable);
      const stored = await write(
        doc,
        { state: 'rolling_out', rollout },
        [
          ...replacing,
          trafficChangedEvent(record, routes, previous, rollout.id, reason || `${plan.kind} started`),
        ],
        signal,
      );
      router.set(name, plan, models);
      stats.unwatch(name);
      installed.set(name, { id: rollout.id, stepIndex: 0 });
      return { record: stored.data, rollout };
    });

  const rollback: Rollouts['rollback'] = (name, toVersion, reason, { signal }) =>
    lock.run(name, async () => {
      const doc = await getDoc(name, signal);
      const record = doc.data;
      const stable = record.stableVersion;
      const rollout = isActive(record.rollout) ? record.rollout : undefined;
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
          { state: 'ready', stateMessage: '', rollout: rolledBackRollout(rollout, stable, now(), why) },
          [rolledBackEvent(record, stable, fromVersionOf(rollout, stable), rollout.id, why, [])],
          signal,
        );
        endStrategy(name);
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
            ...(rollout ? { rollout: rolledBackRollout(rollout, toVersion, now(), why) } : {}),
          },
          [rolledBackEvent(record, toVersion, stable, rollout?.id ?? '', why, [])],
          signal,
        );
      } catch (error) {
        void load.model.retire();
        throw error;
      }
      endStrategy(name);
      served.activate(name, load.model);
      return stored.data;
    });

  const promoteNow: Rollouts['promote'] = (name, reason, { signal }) =>
    lock.run(name, async () => {
      const doc = await getDoc(name, signal);
      const rollout = isActive(doc.data.rollout) ? doc.data.rollout : undefined;
      if (!rollout || !canaryOf(rollout)) {
        throw new AppError(
          'failed_precondition',
          `deployment "${name}" has no canary in progress to promote${rollout ? ' (its traffic strategy is not a canary)' : ''}`,
          { field: 'deployment_name' },
        );
      }
      clearTimeout(timers.get(name));
      return promote(doc, rollout, rollout.checks, reason || 'promoted manually (PromoteRollout)', signal);
    });

  const startPolicyCanary: Rollouts['startPolicyCanary'] = async (doc, model, resolved, signal) => {
    const record = doc.data;
    const policy =
      record.rolloutPolicy === null ? undefined : fromJson(RolloutPolicySchema, record.rolloutPolicy);
    const canary = policy?.canary;
    if (!canary || canary.stepPercents.length === 0 || record.stableVersion === 0) return false;
    // Another replica rolled this version out already (its canary ended while this one loaded it).
    if (resolved.version === record.stableVersion) return false;
    const current = record.rollout;
    if (
      isActive(current) &&
      current.candidateVersion === resolved.version &&
      router.model(record.name, resolved.version)
    ) {
      void model.retire();
      return true;
    }
    if (isActive(current) && current.candidateVersion === resolved.version && canaryOf(current)) {
      // Another replica started this canary (the alias event reaches every replica): route as it
      // stored and follow it; the replica holding its lease judges it.
      const percent = current.routes.find((route) => route.version === resolved.version)?.percent ?? 0;
      router.set(
        record.name,
        { kind: 'canary', candidate: resolved.version, percent },
        new Map([[resolved.version, model]]),
      );
      startStep(record.name, record.stableVersion, resolved.version);
      installed.set(record.name, { id: current.id, stepIndex: current.stepIndex });
      schedule(record.name, checkIntervalMs(canaryOf(current) ?? canary));
      return true;
    }
    try {
      await startCanary(
        doc,
        canary,
        model,
        resolved,
        `rolling out version ${resolved.version} under the rollout policy`,
        signal,
        replaced(record, `replaced by a rollout of version ${resolved.version}`),
      );
    } catch (error) {
      void model.retire();
      throw error;
    }
    return true;
  };

  /** Loads a stored rollout's extra versions and installs its plan (and timer), as before the stop. */
  const resume = async (record: DeploymentRecord, rollout: RolloutRecord, signal: AbortSignal) => {
    const name = record.name;
    const stable = record.stableVersion;
    const split = fromJson(TrafficSplitSchema, rollout.trafficSplit);
    const models = new Map<number, LiveModel>();
    try {
      for (const version of versionsOf(split)) {
        if (version !== stable) models.set(version, (await loadVersion(record, version, signal)).model);
      }
    } catch (error) {
      for (const model of models.values()) void model.retire();
      throw error;
    }
    const canary = canaryOf(rollout);
    if (canary) {
      const candidate = rollout.candidateVersion;
      const percent = rollout.routes.find((route) => route.version === candidate)?.percent ?? 0;
      router.set(name, { kind: 'canary', candidate, percent }, models);
      startStep(name, stable, candidate);
      installed.set(name, { id: rollout.id, stepIndex: rollout.stepIndex });
      schedule(name, checkIntervalMs(canary));
      return;
    }
    router.set(name, planOf(split, stable), models);
    router.setRewards(name, rewardsOf(rollout));
    installed.set(name, { id: rollout.id, stepIndex: 0 });
  };

  const resumeInterrupted: Rollouts['resumeInterrupted'] = async ({ signal }) => {
    const docs = await deployments.find({}, { limit: 10_000, signal });
    const resumed: string[] = [];
    const ended: string[] = [];
    for (const { id } of docs) {
      await lock.run(id, async () => {
        const doc = await deployments.get(id, { signal });
        const rollout = doc?.data.rollout;
        if (!doc || !isActive(rollout) || router.plan(id)) return;
        const record = doc.data;
        try {
          await resume(record, rollout, signal);
          resumed.push(id);
          return;
        } catch (error) {
          if (signal.aborted) throw error;
          const stable = record.stableVersion;
          const reason = `serving restarted and cannot resume the rollout: ${AppError.from(error).message}`;
          await write(
            doc,
            {
              state: record.state === 'rolling_out' ? 'ready' : record.state,
              rollout: rolledBackRollout(rollout, stable, now(), reason),
            },
            [rolledBackEvent(record, stable, fromVersionOf(rollout, stable), rollout.id, reason, [])],
            signal,
          );
          ended.push(id);
        }
      });
    }
    if (resumed.length > 0)
      log.info('rollouts in progress at the last stop resumed', { deployments: resumed });
    if (ended.length > 0)
      log.warn('rollouts in progress at the last stop could not resume and were rolled back', {
        deployments: ended,
      });
    return { resumed, ended };
  };

  const follow: Rollouts['follow'] = async ({ signal }) => {
    for (let after: string | undefined; ; ) {
      // Keyset pages of names: every deployment, a bounded read at a time.
      const page = await deployments.find(
        {},
        { limit: 500, signal, ...(after ? { after: { id: after } } : {}) },
      );
      for (const { id, data } of page) {
        if (signal.aborted || closed) return;
        // Nothing to do unless a rollout is stored in progress or this replica routes one.
        if (isActive(data.rollout) || installed.has(id)) await followOne(id, signal);
      }
      if (page.length < 500) return;
      after = page.at(-1)!.id;
    }
  };

  /** Brings one deployment's routing in line with its stored rollout (see `follow`). */
  const followOne = (id: string, signal: AbortSignal): Promise<void> =>
    lock.run(id, async () => {
      const doc = await deployments.get(id, { signal });
      if (!doc) return;
      const rollout = doc.data.rollout;
      const mine = installed.get(id);
      if (!isActive(rollout)) {
        if (mine) followEnd(doc.data);
        return;
      }
      if (mine?.id === rollout.id) return;
      if (mine) followEnd(doc.data);
      // Until it serves a stable version, a deployment is the restore's and the sync's.
      if (!served.get(id)?.live || router.plan(id)) return;
      try {
        await resume(doc.data, rollout, signal);
        log.info('rollout started by another replica followed', { deployment: id, rollout: rollout.id });
      } catch (error) {
        if (signal.aborted) return;
        log.warn('cannot follow a rollout another replica started; trying again later', {
          deployment: id,
          error: AppError.from(error),
        });
      }
    });

  const addRewards: Rollouts['addRewards'] = (name, deltas, { signal }) =>
    lock.run(name, async () => {
      // Another replica may write the same record between our read and write: re-read and add again.
      for (let attempt = 1; ; attempt++) {
        const plan = router.plan(name);
        if (plan?.kind !== 'bandit') return;
        const doc = await deployments.get(name, { signal });
        const rollout = doc?.data.rollout;
        if (!doc || !isActive(rollout) || canaryOf(rollout)) return;
        const totals = rewardsOf(rollout);
        for (const [version, delta] of deltas) {
          if (!plan.arms.includes(version)) continue;
          const stats = totals.get(version) ?? { pulls: 0, rewards: 0 };
          totals.set(version, { pulls: stats.pulls + delta.pulls, rewards: stats.rewards + delta.rewards });
        }
        const armRewards: ArmRewardRecord[] = [...totals].map(([version, stats]) => ({ version, ...stats }));
        try {
          await write(
            doc,
            {
              rollout: {
                ...rollout,
                armRewards,
                routes: routesOf(plan, doc.data.stableVersion, totals),
              },
            },
            [],
            signal,
          );
        } catch (error) {
          if (AppError.from(error).code === 'aborted' && attempt < 5 && !signal.aborted) continue;
          throw error;
        }
        router.setRewards(name, totals);
        return;
      }
    });

  return {
    setTrafficSplit,
    rollback,
    promote: promoteNow,
    startPolicyCanary,
    routes: (name) => installed.has(name) || router.plan(name) !== undefined,
    forget(name) {
      clearTimeout(timers.get(name));
      timers.delete(name);
      endStrategy(name);
    },
    resumeInterrupted,
    addRewards,
    follow,
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Whether `instance` may judge the canary now: it holds the lease, or nobody holds it any more. */
function mayJudge(rollout: RolloutRecord, instance: string, now: Date): boolean {
  if (!rollout.judge || rollout.judge === instance || !rollout.judgeLeaseUntil) return true;
  return now.getTime() >= Date.parse(rollout.judgeLeaseUntil);
}

/**
 * Whether the judge must write its lease now though nothing else changed: it is not yet its
 * own, or it would lapse before the tick after next.
 */
function leaseDue(
  rollout: RolloutRecord,
  instance: string,
  now: Date,
  leaseMs: number,
  intervalMs: number,
): boolean {
  if (rollout.judge !== instance || !rollout.judgeLeaseUntil) return true;
  const left = Date.parse(rollout.judgeLeaseUntil) - now.getTime();
  return left < Math.max(leaseMs / 2, 2 * intervalMs);
}

/** Whether newly computed checks differ from the stored ones in what they counted. */
function checksChanged(stored: readonly SloCheckRecord[], checks: readonly SloCheckRecord[]): boolean {
  return (
    checks.length !== stored.length || checks.some((check, i) => check.sampleCount !== stored[i]?.sampleCount)
  );
}

/** A stored rollout's bandit arm rewards. */
function rewardsOf(rollout: RolloutRecord): Map<number, ArmRewards> {
  return new Map(
    (rollout.armRewards ?? []).map(({ version, pulls, rewards }) => [version, { pulls, rewards }]),
  );
}
