import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import type { EventHandler } from '@flywheel/bus';
import { AppError, type Logger } from '@flywheel/core';
import { decodeEvent, newEvent, toOutboxEntry } from '@flywheel/events';
import type { Value } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { type Prediction, PredictionLoggedSchema } from '@flywheel/proto/flywheel/events/v1/prediction_pb.js';
import { SkewDetectedSchema } from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import type { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import type { RpcClient } from '@flywheel/rpc';
import type { Collection } from '@flywheel/store';
import { scalarOfValue } from '../records/sample-values.ts';
import type { SkewCheckRecord } from './skew-check-records.ts';
import { countPair, emptySkewTally, mismatchRate, type SkewTally, type SkewTolerance } from './skew-tally.ts';

/** Event ids remembered per deployment, to recognise a redelivered batch. */
const rememberedEventIds = 1000;

/** Skew checks' settings. */
export interface SkewSettings {
  /** Mismatch rate above which a feature is skewed. */
  readonly threshold: number;
  /** Fewest served values of a feature in a batch before its rate is judged. */
  readonly minSamples: number;
  readonly tolerance: SkewTolerance;
}

export interface CheckTrainingServingSkewDeps {
  checks: Collection<SkewCheckRecord>;
  featureStore: Pick<RpcClient<(typeof FeatureStoreService)['method']>, 'getHistoricalFeatures'>;
  settings: SkewSettings;
  log: Logger;
}

/** The predictions of one batch served the same features of the same kind of entity. */
interface LookupGroup {
  readonly joinKeys: readonly string[];
  /** Model input → feature reference. */
  readonly features: ReadonlyMap<string, string>;
  readonly predictions: Prediction[];
}

/**
 * Handles `prediction.logged`: for the predictions whose features serving looked up in the
 * feature store (`served_features`), asks the feature store for the same features of the same
 * entities as of the prediction times (GetHistoricalFeatures: the point-in-time join training
 * sets are built with) and compares them with the values the model was given. A feature with at
 * least `minSamples` values whose mismatch rate exceeds `threshold` emits one `skew.detected`
 * (id `<batch event id>/skew/<feature>`), written in the outbox of the deployment's
 * `skew-checks` document, which remembers the batches it judged so a redelivery emits nothing
 * twice. A batch without served features is skipped. A retriable feature store error is thrown
 * (retried); a refusal (a view deleted since) skips that group with a warning.
 */
export function createCheckTrainingServingSkew(deps: CheckTrainingServingSkewDeps): EventHandler {
  const { checks, featureStore, settings, log } = deps;
  /** The point-in-time rows, or undefined when the feature store refuses (a view deleted, a key changed): not the batch's fault, so not a dead letter. */
  const lookUp = async (
    request: Parameters<typeof featureStore.getHistoricalFeatures>[0],
    options: { signal: AbortSignal },
  ) => {
    try {
      return await featureStore.getHistoricalFeatures(request, options);
    } catch (error) {
      if (AppError.from(error).retriable) throw error;
      log.debug('feature store refused a skew lookup', { error: AppError.from(error).message });
      return undefined;
    }
  };
  return async (event, { signal }) => {
    const batch = decodeEvent(PredictionLoggedSchema, event);
    const groups = groupsOf(batch.predictions);
    if (groups.length === 0) return;
    const docId = batch.deploymentName || batch.modelName;
    if ((await checks.get(docId, { signal }))?.data.eventIds.includes(event.id)) return;

    const tallies = new Map<string, SkewTally>();
    for (const group of groups) {
      const refs = [...new Set(group.features.values())].sort();
      const response = await lookUp(
        {
          features: refs,
          entityDataframe: {
            source: {
              case: 'rows',
              value: {
                rows: group.predictions.map((p) => ({
                  entityKey: { joinKeys: { ...p.servedFeatures!.entityKey } },
                  ...(p.time ? { eventTime: p.time } : {}),
                })),
              },
            },
          },
        },
        { signal },
      );
      if (!response) {
        log.warn('skew check skipped: the feature store refused the lookup', {
          deployment: batch.deploymentName,
          features: refs,
        });
        continue;
      }
      const columnOf = new Map(response.columns.map((name, i) => [name, i]));
      group.predictions.forEach((prediction, row) => {
        const timeMs = prediction.time ? timestampMs(prediction.time) : 0;
        for (const [input, ref] of group.features) {
          const served = numberOf(prediction.inputs[input]);
          if (served === null) continue;
          const column = columnOf.get(ref);
          if (column === undefined) {
            throw new AppError('internal', `GetHistoricalFeatures answered no column ${ref}`);
          }
          const key = `${input}\u0000${ref}`;
          let tally = tallies.get(key);
          if (!tally) {
            tally = emptySkewTally(ref, input);
            tallies.set(key, tally);
          }
          countPair(tally, served, numberOf(response.rows[row]?.values[column]), timeMs, settings.tolerance);
        }
      });
    }

    const skewed = [...tallies.values()].filter(
      (t) => t.compared + t.missing >= settings.minSamples && mismatchRate(t) > settings.threshold,
    );
    const events = skewed.map((t) =>
      newEvent(
        SkewDetectedSchema,
        {
          modelName: batch.modelName,
          modelVersion: batch.modelVersion,
          deploymentName: batch.deploymentName,
          team: batch.team,
          feature: t.feature,
          input: t.input,
          comparedCount: BigInt(t.compared),
          mismatchCount: BigInt(t.mismatches),
          missingCount: BigInt(t.missing),
          mismatchRate: mismatchRate(t),
          threshold: settings.threshold,
          ...(t.compared > 0
            ? {
                meanAbsDifference: t.sumAbsDifference / t.compared,
                maxAbsDifference: t.maxAbsDifference,
                servedMean: t.sumServed / t.compared,
                trainingMean: t.sumTraining / t.compared,
              }
            : {}),
          startTime: timestampFromMs(t.startMs),
          endTime: timestampFromMs(t.endMs),
          predictionEventId: event.id,
        },
        { source: 'flywheel/monitoring', id: `${event.id}/skew/${t.feature}` },
      ),
    );
    await updateChecks(checks, docId, event.id, batch.modelName, tallies, events, signal);
    if (events.length > 0) {
      log.warn('training/serving skew detected', {
        deployment: batch.deploymentName,
        features: skewed.map((t) => t.feature),
      });
    }
  };
}

async function updateChecks(
  checks: Collection<SkewCheckRecord>,
  id: string,
  eventId: string,
  modelName: string,
  tallies: ReadonlyMap<string, SkewTally>,
  events: ReturnType<typeof newEvent>[],
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await checks.get(id, { signal });
    if (current?.data.eventIds.includes(eventId)) return;
    const latest = { ...(current?.data.latest ?? {}) };
    for (const t of tallies.values()) {
      latest[t.feature] = { mismatchRate: mismatchRate(t), compared: t.compared + t.missing, eventId };
    }
    try {
      await checks.put(
        id,
        {
          deploymentName: id,
          modelName,
          eventIds: [...(current?.data.eventIds ?? []), eventId].slice(-rememberedEventIds),
          latest,
        },
        { signal, expectedVersion: current?.version ?? 0, outbox: events.map(toOutboxEntry) },
      );
      return;
    } catch (error) {
      const code = AppError.from(error).code;
      if (code !== 'aborted' && code !== 'already_exists') throw error;
    }
  }
  throw new AppError('aborted', `skew check of ${id}: too many concurrent writers`, { retriable: true });
}

/** Predictions with served features, grouped by the features and join keys they were served. */
function groupsOf(predictions: readonly Prediction[]): LookupGroup[] {
  const groups = new Map<string, LookupGroup>();
  for (const prediction of predictions) {
    const served = prediction.servedFeatures;
    if (!served || Object.keys(served.features).length === 0 || !prediction.time) continue;
    const joinKeys = Object.keys(served.entityKey).sort();
    const features = new Map(Object.entries(served.features).sort(([a], [b]) => (a < b ? -1 : 1)));
    const key = JSON.stringify([joinKeys, [...features]]);
    let group = groups.get(key);
    if (!group) {
      group = { joinKeys, features, predictions: [] };
      groups.set(key, group);
    }
    group.predictions.push(prediction);
  }
  return [...groups.values()];
}

function numberOf(value: Value | undefined): number | null {
  const scalar = scalarOfValue(value);
  if (typeof scalar === 'number') return Number.isFinite(scalar) ? scalar : null;
  if (typeof scalar === 'boolean') return scalar ? 1 : 0;
  return null;
}
