import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { blobUri } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
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
 * | `name`       | string?  | a human name for the training set |
 * | `team`       | string?  | owning team; absent = the caller's |
 *
 * Outputs: `training_set_id` ("ts_…", for lineage), `uri` (`blob:sha256:<hex>`, JSON Lines),
 * `row_count` (number), `columns` (string[]: join keys, `event_time`, label columns, features),
 * and with a feature service `feature_service` and `feature_service_version` (the version used,
 * resolved), for the register step's lineage.
 *
 * Throws invalid_argument (`parameters.<name>`) for bad parameters or an empty window
 * (`end_time` ≤ `start_time`), failed_precondition (not retriable) when the window holds no rows,
 * and the feature store's errors as they come (unavailable is retried).
 */
export function createTrainingSetStep(deps: Pick<BuiltinStepDeps, 'featureStore'>): BuiltinStep {
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
    const start = startText === undefined ? undefined : params.time('start_time');
    const end = endText === undefined ? undefined : params.time('end_time');
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
        `training set ${trainingSet.id} is empty: ${labelView} has no rows in [${startText ?? 'its first row'}, ${endText ?? 'its last row'})`,
        { retriable: false },
      );
    }
    ctx.log.info('training set created', { trainingSetId: trainingSet.id, rowCount, sha256 });
    return {
      training_set_id: trainingSet.id,
      uri: blobUri(sha256),
      row_count: rowCount,
      columns: [...trainingSet.columns],
      ...(trainingSet.featureService
        ? {
            feature_service: trainingSet.featureService.name,
            feature_service_version: Number(trainingSet.featureService.version),
          }
        : {}),
    };
  };
}
