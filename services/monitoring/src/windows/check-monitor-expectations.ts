import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { CloudEvent } from '@flywheel/events';
import { newEvent } from '@flywheel/events';
import type { PredictionLogged } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import {
  DataQualityViolatedSchema,
  QualityCheckStage,
} from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import { checkExpectations, type ExpectationValue, violated, violationFields } from '@flywheel/quality';
import type { MonitorRecord } from '../records/monitor-records.ts';
import { sampleOf, scalarOfValue } from '../records/sample-values.ts';

const source = 'flywheel/monitoring';

/**
 * Checks a `prediction.logged` batch against the monitor's expectations (`nowMs`: when it is
 * recorded, for freshness) and returns one `data-quality.violated` (stage PREDICTION) per violated
 * expectation, with id `<batch event id>/dq/<monitor>/<expectation index>`, so a redelivered batch
 * repeats ids, never counts. Values are read as drift reads them: a numeric feature's NaN, ±∞,
 * non-number or absent value is null, a categorical one's value is its text. None when the monitor
 * declares no expectation or all held.
 */
export function monitorExpectationEvents(
  monitor: MonitorRecord,
  batch: PredictionLogged,
  eventId: string,
  eventTime: number,
  nowMs: number,
): CloudEvent[] {
  const expectations = monitor.expectations ?? [];
  if (expectations.length === 0 || batch.predictions.length === 0) return [];
  const watched = new Set(expectations.map((e) => e.feature));
  const features = monitor.features.filter((f) => watched.has(f.name));
  const rows = batch.predictions.map((prediction) => {
    const values: Record<string, ExpectationValue> = {};
    for (const feature of features) {
      const map = feature.source === 'output' ? prediction.outputs : prediction.inputs;
      values[feature.name] = sampleOf(scalarOfValue(map[feature.name]), feature.kind);
    }
    return { timeMs: prediction.time ? timestampMs(prediction.time) : eventTime, values };
  });
  const { tallies } = checkExpectations(expectations, rows, nowMs);
  const events: CloudEvent[] = [];
  tallies.forEach((tally, i) => {
    if (!violated(tally)) return;
    events.push(
      newEvent(
        DataQualityViolatedSchema,
        {
          ...violationFields(expectations[i]!, i, tally),
          team: monitor.team,
          stage: QualityCheckStage.PREDICTION,
          monitorName: monitor.name,
          modelName: batch.modelName,
          modelVersion: batch.modelVersion,
          deploymentName: batch.deploymentName,
          predictionEventId: eventId,
        },
        { source, id: `${eventId}/dq/${monitor.name}/${i}` },
      ),
    );
  });
  return events;
}
