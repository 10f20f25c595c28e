import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { AlertSchema, DriftResultSchema } from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import type { AlertRecord } from '../records/alert-records.ts';
import { alertKind, alertSeverity, alertState, featureKind, testKind } from '../records/enum-names.ts';
import type {
  CurrentDistributionRecord,
  DriftResultRecord,
  EvaluationRecord,
} from '../records/evaluation-records.ts';

/** The API message of one feature's result within an evaluation. */
export function driftResultToMessage(
  evaluation: EvaluationRecord,
  result: DriftResultRecord,
): MessageInitShape<typeof DriftResultSchema> {
  return {
    id: result.id,
    monitorName: evaluation.monitorName,
    modelName: evaluation.modelName,
    modelVersion: BigInt(evaluation.modelVersion),
    feature: result.feature,
    kind: featureKind(result.kind),
    windowStartTime: timestampFromMs(evaluation.windowStartTime),
    windowEndTime: timestampFromMs(evaluation.windowEndTime),
    sampleCount: BigInt(result.sampleCount),
    referenceCount: BigInt(result.referenceCount),
    referenceProfileId: evaluation.referenceProfileId,
    tests: result.tests.map((test) => ({
      kind: testKind(test.kind),
      statistic: test.statistic,
      pValue: test.pValue,
      threshold: test.threshold,
      drifted: test.drifted,
    })),
    drifted: result.drifted,
    segment: result.segment ?? '',
    current: currentOf(result.current),
  };
}

function currentOf(
  current: CurrentDistributionRecord | undefined,
): NonNullable<MessageInitShape<typeof DriftResultSchema>['current']> {
  if (current === undefined) return { case: undefined };
  if ('numeric' in current) {
    const { binCounts, ...numeric } = current.numeric;
    return { case: 'currentNumeric', value: { ...numeric, binCounts: binCounts.map(BigInt) } };
  }
  const counts = Object.entries(current.categorical.counts).map(([c, n]) => [c, BigInt(n)] as const);
  return { case: 'currentCategorical', value: { counts: Object.fromEntries(counts) } };
}

/** The API message of a stored alert. */
export function alertToMessage(alert: AlertRecord): MessageInitShape<typeof AlertSchema> {
  return {
    id: alert.id,
    monitorName: alert.monitorName,
    modelName: alert.modelName,
    modelVersion: BigInt(alert.modelVersion),
    kind: alertKind(alert.kind),
    severity: alertSeverity(alert.severity),
    state: alertState(alert.state),
    title: alert.title,
    message: alert.message,
    driftResultIds: alert.driftResultIds,
    raiseTime: timestampFromMs(alert.raiseTime),
    ...(alert.resolveTime !== null ? { resolveTime: timestampFromMs(alert.resolveTime) } : {}),
    team: alert.team,
    segments: alert.segments ?? [''],
    resolvedByEvaluationId: alert.resolvedByEvaluationId ?? '',
  };
}
