import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AppError, isAppError, type Logger } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import {
  AlertRaisedSchema,
  AlertResolvedSchema,
  DriftDetectedSchema,
} from '@flywheel/proto/flywheel/events/v1/monitoring_pb.js';
import type { AlertRecord } from '../records/alert-records.ts';
import { alertKind, alertSeverity, featureKind, testKind, testLabels } from '../records/enum-names.ts';
import { type DriftResultRecord, type EvaluationRecord, resultKey } from '../records/evaluation-records.ts';
import { effectiveResolveWindows } from '../records/monitor-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';
import { profileDocId } from '../records/profile-records.ts';
import type { ClosedWindowRecord, WindowRecord } from '../records/window-records.ts';
import type { DriftMetrics } from './drift-metrics.ts';
import { evaluateSegments } from './evaluate-segments.ts';
import { alertIdOf, driftResultIdOf, evaluationIdOf } from './evaluation-ids.ts';

const source = 'flywheel/monitoring';
const principal = (team: string) => ({ subject: 'service:monitoring', team });

export interface EvaluateClosedWindowsDeps {
  collections: MonitoringCollections;
  log: Logger;
  now?: () => Date;
  /** Told of each evaluation written here. Default: nothing is counted. */
  metrics?: DriftMetrics;
}

/**
 * Evaluates the closed windows queued in one window document, oldest first, against the
 * version's reference profile; leaves them queued while the version has none. Per window: the
 * evaluation (a result per feature) is written with one `drift.detected` per drifted feature ×
 * test in its outbox (features within the monitor's alert cooldown are recorded, not announced);
 * then an alert with `alert.raised` when anything was announced, or — after the monitor's
 * `resolveAfterCleanWindows` clean windows in a row — its open alerts for the version are resolved
 * with `alert.resolved`; then the window leaves the queue. Every
 * step can be re-run after a crash: the evaluation id derives from the window, so a re-run finds
 * what it wrote. Safe to call concurrently for one document (version-checked writes).
 */
export function createEvaluateClosedWindows(deps: EvaluateClosedWindowsDeps) {
  const { collections, log } = deps;
  const now = deps.now ?? (() => new Date());

  return async function evaluateClosedWindows(windowId: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      const doc = await collections.windows.get(windowId, { signal });
      const closed = doc?.data.closed[0];
      if (!doc || !closed) return;
      const window = doc.data;
      const evaluation = await evaluationOf(windowId, window, closed, signal);
      if (!evaluation) return;
      const remaining = window.closed.slice(1);
      const lastEmittedAt = { ...window.lastEmittedAt };
      for (const feature of evaluation.emitted) lastEmittedAt[feature] = evaluation.windowEndTime;
      try {
        await collections.windows.put(
          windowId,
          { ...window, closed: remaining, lastEmittedAt, updateTime: now().toISOString() },
          { expectedVersion: doc.version, signal },
        );
      } catch (error) {
        // Someone else moved the window on (a concurrent evaluation or new samples): look again.
        if (!isAppError(error, 'aborted') && !isAppError(error, 'not_found')) throw error;
      }
    }
  };

  /** The stored evaluation of a closed window, written now if needed; undefined when it must wait. */
  async function evaluationOf(
    windowId: string,
    window: WindowRecord,
    closed: ClosedWindowRecord,
    signal: AbortSignal,
  ): Promise<EvaluationRecord | undefined> {
    const id = evaluationIdOf(windowId, closed.seq);
    const existing = await collections.evaluations.get(id, { signal });
    if (existing) {
      await raiseOrResolve(existing.data, signal);
      return existing.data;
    }
    const monitorDoc = await collections.monitors.get(window.monitorName, { signal });
    if (!monitorDoc) {
      log.info('monitor gone: dropping its window', { window: windowId });
      await collections.windows.delete(windowId, { signal });
      return undefined;
    }
    const profileDoc = await collections.profiles.get(profileDocId(window.modelName, window.modelVersion), {
      signal,
    });
    if (!profileDoc) {
      log.debug('window waits for the reference profile of its version', {
        window: windowId,
        model: window.modelName,
        version: window.modelVersion,
        waiting: window.closed.length,
      });
      return undefined;
    }
    const monitor = monitorDoc.data;
    const { results, skipped } = evaluateSegments({
      monitor,
      profile: profileDoc.data,
      columns: closed.columns,
      resultId: (key) => driftResultIdOf(id, key),
    });
    for (const skip of skipped) {
      // Too few samples in a segment is routine; a missing reference is a monitor testing nothing.
      const fields = { window: windowId, seq: closed.seq, ...skip };
      if (skip.reason.includes('fewer than the')) log.info('feature not tested', fields);
      else log.warn('feature not tested', fields);
    }
    const cooldownMs = monitor.alertCooldownMs;
    const emitted = results
      .filter((r) => r.drifted)
      .filter((r) => {
        const last = window.lastEmittedAt[resultKey(r)];
        return cooldownMs === null || last === undefined || closed.endTime - last >= cooldownMs;
      })
      .map(resultKey);
    const evaluation: EvaluationRecord = {
      id,
      monitorName: monitor.name,
      modelName: window.modelName,
      modelVersion: window.modelVersion,
      deploymentName:
        monitor.deploymentName || (closed.deployments.length === 1 ? closed.deployments[0]! : ''),
      team: monitor.team,
      windowSeq: closed.seq,
      windowStartTime: closed.startTime,
      windowEndTime: closed.endTime,
      referenceProfileId: profileDoc.data.id,
      results,
      drifted: results.some((r) => r.drifted),
      emitted,
      skipped,
      evaluateTime: now().toISOString(),
    };
    // Counts over the whole population, as before slices: a segment's result is not another feature.
    const whole = results.filter((r) => !r.segment);
    const driftedCount = whole.filter((r) => r.drifted).length;
    const outbox = results
      .filter((r) => emitted.includes(resultKey(r)))
      .flatMap((result) =>
        result.tests
          .filter((t) => t.drifted)
          .map((test) =>
            toOutboxEntry(
              newEvent(
                DriftDetectedSchema,
                {
                  modelName: evaluation.modelName,
                  modelVersion: BigInt(evaluation.modelVersion),
                  monitorName: evaluation.monitorName,
                  deploymentName: evaluation.deploymentName,
                  team: evaluation.team,
                  feature: result.feature,
                  featureKind: featureKind(result.kind),
                  test: testKind(test.kind),
                  statistic: test.statistic,
                  pValue: test.pValue,
                  threshold: test.threshold,
                  windowStartTime: timestampFromMs(evaluation.windowStartTime),
                  windowEndTime: timestampFromMs(evaluation.windowEndTime),
                  sampleCount: BigInt(result.sampleCount),
                  referenceCount: BigInt(result.referenceCount),
                  referenceProfileId: evaluation.referenceProfileId,
                  driftResultId: result.id,
                  evaluationId: evaluation.id,
                  driftedFeatureCount: driftedCount,
                  monitoredFeatureCount: whole.length,
                  principal: principal(evaluation.team),
                  segment: result.segment ?? '',
                },
                { source },
              ),
            ),
          ),
      );
    try {
      await collections.evaluations.put(id, evaluation, { expectedVersion: 0, outbox, signal });
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
      const winner = await collections.evaluations.get(id, { signal });
      if (!winner) throw new AppError('aborted', `evaluation ${id} vanished`, { cause: error });
      await raiseOrResolve(winner.data, signal);
      return winner.data;
    }
    deps.metrics?.evaluated(evaluation, outbox.length);
    log.info('window evaluated', {
      window: windowId,
      seq: closed.seq,
      evaluation: id,
      features: results.length,
      drifted: results.filter((r) => r.drifted).map((r) => r.feature),
      announced: emitted,
      events: outbox.length,
    });
    await raiseOrResolve(evaluation, signal);
    return evaluation;
  }

  /** Raises the evaluation's alert (idempotent by id), or resolves the version's open alerts when nothing drifted. */
  async function raiseOrResolve(evaluation: EvaluationRecord, signal: AbortSignal): Promise<void> {
    if (evaluation.emitted.length > 0) {
      const alert = alertOf(evaluation);
      const event = newEvent(
        AlertRaisedSchema,
        {
          alertId: alert.id,
          modelName: alert.modelName,
          modelVersion: BigInt(alert.modelVersion),
          monitorName: alert.monitorName,
          team: alert.team,
          kind: alertKind(alert.kind),
          severity: alertSeverity(alert.severity),
          title: alert.title,
          message: alert.message,
          driftResultIds: alert.driftResultIds,
          raiseTime: timestampFromMs(alert.raiseTime),
          principal: principal(alert.team),
          segments: alert.segments ?? [''],
        },
        { source },
      );
      try {
        await collections.alerts.put(alert.id, alert, {
          expectedVersion: 0,
          outbox: [toOutboxEntry(event)],
          signal,
        });
      } catch (error) {
        if (!isAppError(error, 'already_exists')) throw error;
      }
      return;
    }
    await resolveIfClean(evaluation, signal);
  }

  /**
   * Resolves the monitor's open alerts of the version once its latest `resolveAfterCleanWindows`
   * evaluations (this one the newest) all tested something and found no drift: each alert is
   * marked resolved by this evaluation with `alert.resolved` in the same write. A re-run finds
   * them resolved and does nothing; a lost race (another replica resolved it) is left to it.
   */
  async function resolveIfClean(evaluation: EvaluationRecord, signal: AbortSignal): Promise<void> {
    if (!isClean(evaluation)) return;
    const open = (
      await collections.alerts.find(
        { monitorName: evaluation.monitorName, modelVersion: evaluation.modelVersion, state: 'open' },
        { limit: maxFind, signal },
      )
    ).filter(
      (doc) =>
        doc.data.modelName === evaluation.modelName &&
        doc.data.raiseTime <= Date.parse(evaluation.evaluateTime),
    );
    if (open.length === 0) return;
    const monitor = (await collections.monitors.get(evaluation.monitorName, { signal }))?.data;
    const needed = monitor ? effectiveResolveWindows(monitor) : 1;
    if (needed > 1) {
      const recent = (
        await collections.evaluations.find(
          { monitorName: evaluation.monitorName, modelVersion: evaluation.modelVersion },
          { sortBy: 'windowEndTime', descending: true, limit: Math.min(maxFind, needed * 4 + 10), signal },
        )
      )
        .map((d) => d.data)
        .filter((e) => e.modelName === evaluation.modelName && e.windowSeq <= evaluation.windowSeq)
        .sort((a, b) => b.windowSeq - a.windowSeq)
        .slice(0, needed);
      if (recent.length < needed || !recent.every(isClean)) return;
    }
    const resolveTime = Date.parse(evaluation.evaluateTime);
    for (const doc of open) {
      const alert = doc.data;
      const event = newEvent(
        AlertResolvedSchema,
        {
          alertId: alert.id,
          modelName: alert.modelName,
          modelVersion: BigInt(alert.modelVersion),
          monitorName: alert.monitorName,
          team: alert.team,
          kind: alertKind(alert.kind),
          evaluationId: evaluation.id,
          windowStartTime: timestampFromMs(evaluation.windowStartTime),
          windowEndTime: timestampFromMs(evaluation.windowEndTime),
          cleanWindows: needed,
          raiseTime: timestampFromMs(alert.raiseTime),
          resolveTime: timestampFromMs(resolveTime),
          principal: principal(alert.team),
        },
        { source },
      );
      try {
        await collections.alerts.put(
          doc.id,
          { ...alert, state: 'resolved', resolveTime, resolvedByEvaluationId: evaluation.id },
          { expectedVersion: doc.version, outbox: [toOutboxEntry(event)], signal },
        );
        log.info('alert resolved', { alert: alert.id, evaluation: evaluation.id, cleanWindows: needed });
      } catch (error) {
        if (!isAppError(error, 'aborted')) throw error;
      }
    }
  }
}

/** A window that tested something and found no drift (an evaluation of nothing proves nothing). */
function isClean(evaluation: EvaluationRecord): boolean {
  return !evaluation.drifted && evaluation.results.length > 0;
}

/**
 * The drift alert of an evaluation: critical when half or more of the monitored features drifted
 * over the whole population, else warning (so is drift in segments only); the title names the first announced feature's strongest test.
 */
export function alertOf(evaluation: EvaluationRecord): AlertRecord {
  const announced = evaluation.results.filter((r) => evaluation.emitted.includes(resultKey(r)));
  const whole = evaluation.results.filter((r) => !r.segment);
  const drifted = whole.filter((r) => r.drifted).length;
  const named = (r: DriftResultRecord) => (r.segment ? `${r.feature} [${r.segment}]` : r.feature);
  const first = announced[0]!;
  const test = first.tests.find((t) => t.drifted)!;
  const comparison =
    test.kind === 'ks' || test.kind === 'chi_square'
      ? `${testLabels[test.kind]} ${format(test.pValue)} < ${test.threshold}`
      : `${testLabels[test.kind]} ${format(test.statistic)} >= ${test.threshold}`;
  const others = announced.length > 1 ? ` and ${announced.length - 1} more` : '';
  return {
    id: alertIdOf(evaluation.id),
    monitorName: evaluation.monitorName,
    modelName: evaluation.modelName,
    modelVersion: evaluation.modelVersion,
    team: evaluation.team,
    kind: 'drift',
    severity: whole.length > 0 && drifted * 2 >= whole.length ? 'critical' : 'warning',
    state: 'open',
    title: `drift in ${named(first)} (${comparison})${others}`,
    message:
      `${drifted} of ${whole.length} monitored features of ${evaluation.modelName} v${evaluation.modelVersion} ` +
      `drifted in the window ${new Date(evaluation.windowStartTime).toISOString()} – ${new Date(evaluation.windowEndTime).toISOString()}: ` +
      announced
        .map(
          (r) =>
            `${named(r)} (${r.tests
              .filter((t) => t.drifted)
              .map((t) => testLabels[t.kind])
              .join(', ')})`,
        )
        .join('; '),
    driftResultIds: announced.map((r) => r.id),
    raiseTime: Date.parse(evaluation.evaluateTime),
    resolveTime: null,
    segments: [...new Set(announced.map((r) => r.segment ?? ''))],
  };
}

function format(value: number): string {
  return value !== 0 && Math.abs(value) < 0.001 ? value.toExponential(2) : value.toFixed(3);
}
