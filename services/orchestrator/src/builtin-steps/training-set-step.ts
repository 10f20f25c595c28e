import { timestampDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { resolveModelRef } from './resolve-champion.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/**
 * Built-in step `training-set`: asks the feature store for a point-in-time correct training set
 * whose entity rows are the history of a label view within a time window (CreateTrainingSet with
 * `entity_dataframe.view_history`). Idempotent: the request id is `<run id>/<step name>`, so a retry
 * gets the training set the first attempt created.
 *
 * | parameter    | type     | meaning |
 * |--------------|----------|---------|
 * | `features`   | string[] | features to join, `"<view>:<feature>"` (`"weather_daily:temp_max"`); or `feature_service` |
 * | `feature_service` | string? | a feature-store feature service whose features to join, instead of `features` |
 * | `feature_service_version` | number? | its version; absent = the latest |
 * | `label_view` | string   | view whose rows in the window become the entity rows; its features (the labels) ride along as `"<view>:<feature>"` columns |
 * | `start_time` | string?  | RFC 3339, inclusive start of the window; absent = since the view's first row |
 * | `end_time`   | string?  | RFC 3339, exclusive end of the window; absent = up to its last row |
 * | `since_model` | string? | continual learning: a model URI (`models:/<model>@champion`); the window starts just after the last event time of the training set that version was trained on (its lineage `training_set_ref`), or at `start_time` when that is later; a URI naming no version (no champion yet) leaves the window as `start_time` says; "" or absent = not used |
 * | `name`       | string?  | a human name for the training set |
 * | `team`       | string?  | owning team; absent = the caller's |
 *
 * Outputs: `training_set_id` ("ts_…", for lineage), `uri` (`blob:sha256:<hex>`, JSON Lines),
 * `row_count` (number), `columns` (string[]: join keys, `event_time`, label columns, features),
 * `start_time` (the window's start used, RFC 3339, "" for none), with `since_model`
 * `since_model_version` (`models:/<model>/<version>` whose set it follows, "" when it named none),
 * and with a feature service `feature_service` and `feature_service_version` (the version used,
 * resolved), for the register step's lineage.
 *
 * Throws invalid_argument (`parameters.<name>`) for bad parameters or an empty window
 * (`end_time` ≤ `start_time`), failed_precondition (not retriable) when the window holds no rows
 * (also: no new rows since the `since_model` version's set) or that version's lineage names no
 * feature-store training set,
 * and the feature store's errors as they come (unavailable is retried).
 */
export function createTrainingSetStep(deps: Pick<BuiltinStepDeps, 'featureStore' | 'registry'>): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const service = params.optionalString('feature_service');
    if (service !== undefined && ctx.parameters.features !== undefined) {
      throw AppError.invalidArgument(
        'parameters.feature_service',
        'give features or feature_service, not both',
      );
    }
    const serviceVersion = params.optionalNumber('feature_service_version', 0);
    if (!Number.isInteger(serviceVersion) || serviceVersion < 0) {
      throw AppError.invalidArgument('parameters.feature_service_version', 'must be a whole number ≥ 1');
    }
    if (service === undefined && ctx.parameters.feature_service_version !== undefined) {
      throw AppError.invalidArgument('parameters.feature_service_version', 'needs feature_service');
    }
    const features = service === undefined ? params.strings('features') : [];
    features.forEach((feature, i) => {
      if (!/^[^:]+:[^:]+$/.test(feature)) {
        throw AppError.invalidArgument(
          `parameters.features[${i}]`,
          `must be "<view>:<feature>", got "${feature}"`,
        );
      }
    });
    const labelView = params.string('label_view');
    const startText = params.optionalString('start_time');
    const endText = params.optionalString('end_time');
    let start = startText === undefined ? undefined : params.time('start_time');
    const end = endText === undefined ? undefined : params.time('end_time');
    const sinceModel = params.optionalString('since_model') ?? '';
    let sinceVersion = '';
    if (sinceModel !== '') {
      const after = await lastEventTimeTrainedOn(deps, sinceModel, ctx.signal);
      if (after === undefined) {
        ctx.log.warn('no model version to continue from: the window is start_time', { sinceModel });
      } else {
        sinceVersion = after.version;
        // Start times are inclusive: the first millisecond after the last row it was trained on.
        if (start === undefined || after.lastEventMs + 1 > start) start = after.lastEventMs + 1;
      }
      if (start !== undefined && end !== undefined && end <= start) {
        throw new AppError(
          'failed_precondition',
          `no new rows: the training set of ${sinceVersion} reaches ${new Date(start - 1).toISOString()}, end_time is ${endText}`,
          { retriable: false },
        );
      }
    }
    if (start !== undefined && end !== undefined && end <= start) {
      throw AppError.invalidArgument('parameters.end_time', 'must be after start_time');
    }
    const name = params.optionalString('name');
    const team = params.optionalString('team');

    const { trainingSet } = await deps.featureStore.createTrainingSet(
      {
        features,
        ...(service === undefined
          ? {}
          : { featureService: { name: service, version: BigInt(serviceVersion) } }),
        entityDataframe: {
          source: {
            case: 'viewHistory',
            value: {
              featureViewName: labelView,
              ...(start === undefined ? {} : { startTime: timestampFromMs(start) }),
              ...(end === undefined ? {} : { endTime: timestampFromMs(end) }),
            },
          },
        },
        requestId: `${ctx.runId}/${ctx.stepName}`,
        ...(name === undefined ? {} : { name }),
        ...(team === undefined ? {} : { team }),
      },
      { signal: ctx.signal },
    );
    const sha256 = trainingSet?.blob?.sha256;
    if (trainingSet === undefined || sha256 === undefined || sha256 === '') {
      throw new AppError(
        'internal',
        'the feature store answered CreateTrainingSet without a training set blob',
      );
    }
    const rowCount = Number(trainingSet.rowCount);
    if (rowCount === 0) {
      throw new AppError(
        'failed_precondition',
        `training set ${trainingSet.id} is empty: ${labelView} has no rows in [${start === undefined ? 'its first row' : new Date(start).toISOString()}, ${endText ?? 'its last row'})${sinceVersion ? ` (rows since the training set of ${sinceVersion})` : ''}`,
        { retriable: false },
      );
    }
    ctx.log.info('training set created', { trainingSetId: trainingSet.id, rowCount, sha256 });
    return {
      training_set_id: trainingSet.id,
      uri: blobUri(sha256),
      row_count: rowCount,
      columns: [...trainingSet.columns],
      start_time: start === undefined ? '' : new Date(start).toISOString(),
      ...(sinceModel === '' ? {} : { since_model_version: sinceVersion }),
      ...(trainingSet.featureService
        ? {
            feature_service: trainingSet.featureService.name,
            feature_service_version: Number(trainingSet.featureService.version),
          }
        : {}),
    };
  };
}

/**
 * The version `uri` names and the last event time of the training set it was trained on; undefined
 * when it names none.
 */
async function lastEventTimeTrainedOn(
  deps: Pick<BuiltinStepDeps, 'featureStore' | 'registry'>,
  uri: string,
  signal: AbortSignal,
): Promise<{ version: string; lastEventMs: number } | undefined> {
  const from = await resolveModelRef(deps.registry, uri, 'parameters.since_model', signal);
  if (from === undefined) return undefined;
  const version = `models:/${from.modelName}/${from.version}`;
  if (!from.trainingSetRef.startsWith('ts_')) {
    throw new AppError(
      'failed_precondition',
      `${version} was not trained on a feature-store training set (lineage training_set_ref "${from.trainingSetRef}"): no window end to continue from`,
      { retriable: false },
    );
  }
  const { trainingSet } = await deps.featureStore.getTrainingSet(
    { trainingSetId: from.trainingSetRef },
    { signal },
  );
  const last = trainingSet?.maxEventTime;
  if (last === undefined) {
    throw new AppError(
      'failed_precondition',
      `training set ${from.trainingSetRef} of ${version} records no event times`,
      {
        retriable: false,
      },
    );
  }
  return { version, lastEventMs: timestampDate(last).getTime() };
}
