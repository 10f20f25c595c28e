import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@flywheel/bus';
import { AppError, isAppError, type Logger } from '@flywheel/core';
import { type CloudEvent, decodeEvent } from '@flywheel/events';
import { GroundTruthReceivedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import type { MonitoringCollections } from '../records/monitoring-collections.ts';
import type { GroundTruthRecord } from '../records/performance-records.ts';
import { scalarOfValue } from '../records/sample-values.ts';

/**
 * Handles `ground-truth.received`: keeps the labels (one document per event, create-only, so a
 * redelivery changes nothing) for GetPerformanceMetrics to join with logged predictions by
 * request id and row. Throws `invalid_argument` (→ DLQ) for an event that names no model.
 */
export function createRecordGroundTruth(deps: { collections: MonitoringCollections; log: Logger }) {
  return async function recordGroundTruth(event: CloudEvent, context: HandlerContext): Promise<void> {
    const received = decodeEvent(GroundTruthReceivedSchema, event);
    if (!received.modelName)
      throw AppError.invalidArgument('model_name', `ground-truth.received ${event.id} names no model`);
    const labels = received.labels
      .filter((l) => l.requestId !== '')
      .map((l) => {
        const label = scalarOfValue(l.label);
        return {
          requestId: l.requestId,
          rowIndex: l.rowIndex,
          label: typeof label === 'boolean' ? (label ? 1 : 0) : label,
          time: l.time ? timestampMs(l.time) : 0,
        };
      });
    if (labels.length < received.labels.length) {
      deps.log.warn('labels without a request id ignored', {
        eventId: event.id,
        ignored: received.labels.length - labels.length,
      });
    }
    const record: GroundTruthRecord = {
      modelName: received.modelName,
      source: received.source,
      labels,
      receiveTime: Date.parse(event.time) || Date.now(),
    };
    try {
      await deps.collections.groundTruth.put(event.id, record, {
        expectedVersion: 0,
        signal: context.signal,
      });
    } catch (error) {
      if (!isAppError(error, 'already_exists')) throw error;
    }
  };
}
