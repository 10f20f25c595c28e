import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@flywheel/bus';
import { AppError, isAppError, type Logger } from '@flywheel/core';
import { type CloudEvent, decodeEvent, toOutboxEntry } from '@flywheel/events';
import {
  type Prediction,
  type PredictionLogged,
  PredictionLoggedSchema,
} from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import type { MonitorRecord, SliceRecord } from '../records/monitor-records.ts';
import { type MonitoringCollections, maxFind } from '../records/monitoring-collections.ts';
import type { LoggedPredictionRecord, PredictionLogRecord } from '../records/performance-records.ts';
import { sampleOf, scalarOfValue } from '../records/sample-values.ts';
import { segmentOf, sliceColumn } from '../records/segments.ts';
import { windowDocId } from '../records/window-records.ts';
import { monitorExpectationEvents } from './check-monitor-expectations.ts';
import { addSamples, emptyWindow, type WindowLimits, type WindowSample } from './window-accumulator.ts';

/** Event ids remembered per window document, to recognise a redelivered batch. */
const rememberedEventIds = 1000;
/** Attempts at a window write that lost a race with another writer before giving up (retriable). */
const maxWriteAttempts = 20;

export interface RecordPredictionsDeps {
  collections: MonitoringCollections;
  limits: WindowLimits;
  log: Logger;
  /** Evaluates the windows a batch closed (see createEvaluateClosedWindows). */
  evaluateClosedWindows(windowId: string, signal: AbortSignal): Promise<void>;
  now?: () => Date;
}

/**
 * Handles `prediction.logged`: adds the batch to the open window of every enabled monitor of the
 * model (and of its deployment, when the monitor names one), per model version, then evaluates
 * the windows that closed. The window document remembers the ids of the batches it took, so a
 * redelivered batch is not counted twice even if the consumer's own dedupe record was lost.
 * The monitor's expectations are checked on the batch; their `data-quality.violated` events go in
 * the outbox of that window write. When a monitor of the model has a performance spec, the batch's predictions are also kept for
 * joining with ground truth. Throws `invalid_argument` (→ DLQ) for a batch without model or version.
 */
export function createRecordPredictions(deps: RecordPredictionsDeps) {
  const { collections, log } = deps;
  const now = deps.now ?? (() => new Date());

  return async function recordPredictions(event: CloudEvent, context: HandlerContext): Promise<void> {
    const batch = decodeEvent(PredictionLoggedSchema, event);
    const version = Number(batch.modelVersion);
    if (!batch.modelName)
      throw AppError.invalidArgument('model_name', `prediction.logged ${event.id} names no model`);
    if (!(version >= 1))
      throw AppError.invalidArgument('model_version', `prediction.logged ${event.id} names no model version`);
    const { signal } = context;
    const monitors = (
      await collections.monitors.find({ modelName: batch.modelName }, { limit: maxFind, signal })
    )
      .map((d) => d.data)
      .filter((m) => m.enabled && (m.deploymentName === '' || m.deploymentName === batch.deploymentName));
    if (monitors.length === 0) {
      log.debug('no enabled monitor for these predictions', {
        model: batch.modelName,
        deployment: batch.deploymentName,
      });
      return;
    }
    const eventTime = Date.parse(event.time) || now().getTime();
    for (const monitor of monitors) {
      const windowId = windowDocId(monitor.name, batch.modelName, version);
      await addToWindow(windowId, monitor, batch, eventTime, event.id, signal);
      await deps.evaluateClosedWindows(windowId, signal);
    }
    const measured = monitors.filter((m) => m.performance);
    const outputs = new Set(measured.map((m) => m.performance!.predictionOutput));
    const slices = measured.flatMap((m) => m.slices ?? []);
    if (outputs.size > 0) await keepForPerformance(event.id, batch, outputs, slices, eventTime, signal);
  };

  async function addToWindow(
    windowId: string,
    monitor: MonitorRecord,
    batch: PredictionLogged,
    eventTime: number,
    eventId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const samples = batch.predictions
      .map((prediction) => sampleOfPrediction(prediction, monitor, batch.deploymentName, eventTime))
      .sort((a, b) => a.time - b.time);
    // Announced in the write that takes the batch: once, however often the batch is delivered.
    const outbox = monitorExpectationEvents(monitor, batch, eventId, eventTime, now().getTime()).map(
      toOutboxEntry,
    );
    for (let attempt = 1; ; attempt++) {
      const doc = await collections.windows.get(windowId, { signal });
      const current =
        doc?.data ?? emptyWindow(monitor.name, batch.modelName, Number(batch.modelVersion), now());
      if (current.appliedEventIds.includes(eventId)) {
        log.debug('batch already in the window', { window: windowId, eventId });
        return;
      }
      const { state, report } = addSamples(current, samples, monitor.window, deps.limits, now().getTime());
      state.appliedEventIds = [...state.appliedEventIds, eventId].slice(-rememberedEventIds);
      state.updateTime = now().toISOString();
      try {
        await collections.windows.put(windowId, state, {
          expectedVersion: doc?.version ?? 0,
          ...(outbox.length > 0 ? { outbox } : {}),
          signal,
        });
      } catch (error) {
        const raced =
          isAppError(error, 'aborted') ||
          isAppError(error, 'already_exists') ||
          isAppError(error, 'not_found');
        if (raced && attempt < maxWriteAttempts) continue;
        throw error;
      }
      if (report.tooSmall > 0)
        log.info('window closed with too few samples: not tested', { window: windowId, ...report });
      if (report.dropped > 0) {
        log.warn('closed windows dropped while waiting for a reference profile', {
          window: windowId,
          ...report,
        });
      }
      return;
    }
  }

  async function keepForPerformance(
    eventId: string,
    batch: PredictionLogged,
    outputs: ReadonlySet<string>,
    slices: readonly SliceRecord[],
    eventTime: number,
    signal: AbortSignal,
  ): Promise<void> {
    const predictions: LoggedPredictionRecord[] = batch.predictions.map((p) => ({
      requestId: p.requestId,
      rowIndex: p.rowIndex,
      time: p.time ? timestampMs(p.time) : eventTime,
      outputs: Object.fromEntries(
        [...outputs].map((name) => {
          const value = scalarOfValue(p.outputs[name]);
          return [name, typeof value === 'boolean' ? (value ? 1 : 0) : value];
        }),
      ),
      ...(slices.length > 0 ? { segments: segmentsOfPrediction(p, slices) } : {}),
    }));
    if (predictions.length === 0) return;
    let minTime = Number.POSITIVE_INFINITY;
    let maxTime = Number.NEGATIVE_INFINITY;
    for (const { time } of predictions) {
      minTime = Math.min(minTime, time);
      maxTime = Math.max(maxTime, time);
    }
    const record: PredictionLogRecord = {
      modelName: batch.modelName,
      modelVersion: Number(batch.modelVersion),
      deploymentName: batch.deploymentName,
      requestIds: [...new Set(predictions.map((p) => p.requestId))],
      minTime,
      maxTime,
      predictions,
    };
    try {
      await collections.predictionLogs.put(eventId, record, { expectedVersion: 0, signal });
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
    }
  }
}

/** The segments (of any of the slices) a prediction falls in, deduplicated. */
function segmentsOfPrediction(prediction: Prediction, slices: readonly SliceRecord[]): string[] {
  const segments = new Set<string>();
  for (const slice of slices) {
    const map = slice.source === 'output' ? prediction.outputs : prediction.inputs;
    const segment = segmentOf(slice, scalarOfValue(map[slice.feature]));
    if (segment !== undefined) segments.add(segment);
  }
  return [...segments];
}

function sampleOfPrediction(
  prediction: Prediction,
  monitor: MonitorRecord,
  deployment: string,
  eventTime: number,
): WindowSample {
  const values: Record<string, ReturnType<typeof sampleOf>> = {};
  for (const feature of monitor.features) {
    const map = feature.source === 'output' ? prediction.outputs : prediction.inputs;
    values[feature.name] = sampleOf(scalarOfValue(map[feature.name]), feature.kind);
  }
  // The slice columns keep the raw value (text or number): the segment is decided at evaluation.
  for (const slice of monitor.slices ?? []) {
    const map = slice.source === 'output' ? prediction.outputs : prediction.inputs;
    const value = scalarOfValue(map[slice.feature]);
    values[sliceColumn(slice)] =
      typeof value === 'boolean' ? (slice.edges.length > 0 ? Number(value) : String(value)) : value;
  }
  return { time: prediction.time ? timestampMs(prediction.time) : eventTime, values, deployment };
}
