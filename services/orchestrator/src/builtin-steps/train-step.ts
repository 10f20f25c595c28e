import { blobUri } from '@flywheel/blobs';
import { AppError, throwIfAborted } from '@flywheel/core';
import {
  binaryClassificationMetrics,
  exportLogisticRegressionOnnx,
  type LogisticRegressionStart,
  predictLogisticRegression,
  readLogisticRegressionOnnx,
  toFeatureMatrix,
  trainLogisticRegression,
} from '@flywheel/ml';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { defaultHoldoutFraction, featureRowsOf, labelledExamples, splitByTime } from './labelled-examples.ts';
import { toMetricsOutput } from './model-metrics.ts';
import { columnFor, readTrainingSet } from './read-training-set.ts';
import { resolveModelRef } from './resolve-champion.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/** Default L2 penalty of the built-in trainer, on standardized weights. */
const defaultL2 = 1e-4;

/**
 * Built-in step `train`: fits Flywheel's logistic regression on a training set, leaving out the
 * holdout (the latest `holdout_fraction` of the labelled rows by `event_time`, which `evaluate`
 * judges on), exports it as ONNX (one `float [N,1]` input per feature, output `probability`,
 * standardization inside the graph) and puts the artifact in the blob store. Deterministic: a retry
 * writes the same bytes, hence the same sha256.
 *
 * | parameter          | type     | meaning |
 * |--------------------|----------|---------|
 * | `training_set_uri` | string   | `blob:sha256:<hex>` of the JSON Lines training set |
 * | `label`            | string   | the label column, e.g. `"weather_labels:rained"` (0/1; rows where it is null are skipped) |
 * | `features`         | string[] | model input names; each reads the column of that name, else the one column `"<view>:<name>"` |
 * | `l2`               | number?  | L2 penalty (≥ 0) on the standardized weights; default 1e-4 |
 * | `holdout_fraction` | number?  | share in (0, 1) of the latest rows held out; default 0.2 |
 * | `warm_start_from`  | string?  | continual learning: a model URI (`models:/<model>@champion`, `models:/<model>/<version>`) whose built-in logistic regression the fit starts from, its L2 penalty pulling towards that model's weights instead of 0 (`@flywheel/ml` `trainLogisticRegression` `start`); "" or absent = from scratch |
 *
 * Outputs: `artifact_sha256`, `artifact_uri` (`blob:sha256:<hex>`), `feature_names` (string[]),
 * `train_rows` (rows fitted on), `train_metrics` (`roc_auc`, `log_loss`, `accuracy`, `brier_score`,
 * `positive_rate`, `count` on the training rows), `loss_history` (the training log loss before
 * each Newton step and after the last: `[0]` is where the fit started, the start model's loss on
 * these rows when warm-started, ln 2 from scratch), `warm_start_from` (`models:/<model>/<version>`
 * it started from, or ""; for the register step's `parent_version`), `parameters` (what was used,
 * as strings, for the registry; with `warm_start_from` asked, it is the version, or `none: <why>`).
 *
 * A `warm_start_from` that names no version (no champion yet) trains from scratch, and says so in
 * `parameters.warm_start_from` and the log; one whose model is not the built-in trainer's, or has
 * other features, is failed_precondition (not retriable).
 *
 * Throws invalid_argument (`parameters.<name>`) for bad parameters, a missing column, a non-binary
 * label or non-numeric feature; failed_precondition (not retriable) when the training part has no
 * complete row or a single class; the blob store's errors (not_found, data_loss) as they come.
 */
export function createTrainStep(deps: Pick<BuiltinStepDeps, 'blobs' | 'registry'>): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const trainingSetUri = params.string('training_set_uri');
    const label = params.string('label');
    const featureNames = params.strings('features');
    const l2 = params.optionalNumber('l2', defaultL2);
    if (l2 < 0) throw AppError.invalidArgument('parameters.l2', `must be ≥ 0, got ${l2}`);
    const holdoutFraction = params.optionalNumber('holdout_fraction', defaultHoldoutFraction);
    const warmStartFrom = params.optionalString('warm_start_from') ?? '';
    let start: LogisticRegressionStart | undefined;
    let startedFrom = '';
    let warmStartNote = '';
    if (warmStartFrom !== '') {
      const from = await resolveModelRef(
        deps.registry,
        warmStartFrom,
        'parameters.warm_start_from',
        ctx.signal,
      );
      if (from === undefined) {
        warmStartNote = `none: ${warmStartFrom} names no version`;
        ctx.log.warn('no model to warm-start from: training from scratch', { warmStartFrom });
      } else {
        start = readLogisticRegressionOnnx(
          await deps.blobs.getBytes(from.artifactSha256, { signal: ctx.signal }),
        );
        startedFrom = `models:/${from.modelName}/${from.version}`;
        warmStartNote = startedFrom;
      }
    }

    const table = await readTrainingSet(deps.blobs, trainingSetUri, {
      signal: ctx.signal,
      field: 'parameters.training_set_uri',
    });
    const labelColumn = columnFor(table, label, 'parameters.label');
    const inputs = featureNames.map((name, i) => ({
      name,
      column: columnFor(table, name, `parameters.features[${i}]`),
    }));
    const { train, holdout } = splitByTime(
      labelledExamples(table, labelColumn, 'parameters.label'),
      holdoutFraction,
    );
    const { rows, labels, dropped } = featureRowsOf(train, inputs);
    const classes = new Set(labels);
    if (classes.size < 2) {
      throw new AppError(
        'failed_precondition',
        rows.length === 0
          ? `none of the ${train.length} training rows has every feature (${featureNames.join(', ')})`
          : `the ${rows.length} training rows all have ${label} = ${labels[0]}; a classifier needs both classes`,
        { retriable: false },
      );
    }

    throwIfAborted(ctx.signal);
    const features = toFeatureMatrix(rows, featureNames);
    const model = trainLogisticRegression(
      { featureNames, features, labels },
      { l2, ...(start === undefined ? {} : { start }) },
    );
    const trainMetrics = toMetricsOutput(
      binaryClassificationMetrics(labels, predictLogisticRegression(model, features)),
    );
    const onnx = exportLogisticRegressionOnnx(model, {
      graphName: 'flywheel_logistic_regression',
      docString: `Logistic regression predicting ${label} from ${featureNames.join(', ')}; run ${ctx.runId}, step ${ctx.stepName}.`,
      metadata: {
        'flywheel.training_set_uri': trainingSetUri,
        'flywheel.label': label,
        'flywheel.pipeline_run_id': ctx.runId,
      },
    });
    const artifact = await deps.blobs.put(onnx, { signal: ctx.signal, contentType: 'application/onnx' });
    ctx.log.info('model trained', {
      sha256: artifact.sha256,
      trainRows: rows.length,
      droppedRows: dropped,
      holdoutRows: holdout.length,
      iterations: model.iterations,
      converged: model.converged,
      warmStartFrom: warmStartNote || 'none',
      initialLoss: model.lossHistory[0],
    });
    return {
      artifact_sha256: artifact.sha256,
      artifact_uri: blobUri(artifact.sha256),
      feature_names: [...featureNames],
      train_rows: rows.length,
      train_metrics: trainMetrics,
      loss_history: model.lossHistory,
      warm_start_from: startedFrom,
      parameters: {
        trainer: 'logistic-regression',
        l2: String(l2),
        holdout_fraction: String(holdoutFraction),
        label,
        iterations: String(model.iterations),
        converged: String(model.converged),
        ...(warmStartFrom === '' ? {} : { warm_start_from: warmStartNote }),
      },
    };
  };
}
