import { AppError } from '@flywheel/core';
import { binaryClassificationMetrics, createOnnxScorer, type OnnxScorer } from '@flywheel/ml';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import {
  defaultHoldoutFraction,
  featureRowsOf,
  type InputColumn,
  labelledExamples,
  splitByTime,
} from './labelled-examples.ts';
import { toMetricsOutput } from './model-metrics.ts';
import { columnFor, readTrainingSet, resolveColumn, type TrainingSetTable } from './read-training-set.ts';
import { resolveAliasedVersion } from './resolve-champion.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/**
 * Built-in step `evaluate`: scores a candidate ONNX model and the model's current champion
 * (`models:/<model_name>@<champion_alias>`, resolved through the registry, its artifact read from the
 * blob store and verified) with onnxruntime on the SAME holdout: the latest `holdout_fraction` of the
 * training set's labelled rows by `event_time` (exactly the rows `train` left out), restricted to
 * the rows where every input of both models has a value.
 *
 * | parameter          | type    | meaning |
 * |--------------------|---------|---------|
 * | `training_set_uri` | string  | `blob:sha256:<hex>` of the JSON Lines training set |
 * | `label`            | string  | the label column, e.g. `"weather_labels:rained"` |
 * | `artifact_sha256`  | string  | the candidate's ONNX artifact in the blob store |
 * | `model_name`       | string  | registered model whose champion to compare with |
 * | `champion_alias`   | string? | default `"champion"` |
 * | `holdout_fraction` | number? | default 0.2; use the value `train` used |
 *
 * Outputs: `candidate` (metrics: `roc_auc`, `log_loss`, `accuracy`, `brier_score`, `positive_rate`,
 * `count`), `champion` (the same, or null when the alias does not exist), `champion_version`
 * (number or null), `champion_artifact_sha256` (string or null), `holdout_rows`.
 *
 * Throws invalid_argument for bad parameters, an artifact that is not a scorable ONNX model or an
 * input no column provides; failed_precondition (not retriable) when the champion reads an input the
 * training set lacks, or the holdout has no complete row or one class only; the registry's and the
 * blob store's errors as they come.
 */
export function createEvaluateStep(deps: Pick<BuiltinStepDeps, 'blobs' | 'registry'>): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const trainingSetUri = params.string('training_set_uri');
    const label = params.string('label');
    const artifactSha256 = params.sha256('artifact_sha256');
    const modelName = params.string('model_name');
    const alias = params.optionalString('champion_alias') ?? 'champion';
    const holdoutFraction = params.optionalNumber('holdout_fraction', defaultHoldoutFraction);

    const table = await readTrainingSet(deps.blobs, trainingSetUri, {
      signal: ctx.signal,
      field: 'parameters.training_set_uri',
    });
    const labelColumn = columnFor(table, label, 'parameters.label');
    const { holdout } = splitByTime(
      labelledExamples(table, labelColumn, 'parameters.label'),
      holdoutFraction,
    );

    const scorers: OnnxScorer[] = [];
    try {
      const candidate = await loadScorer(deps, artifactSha256, ctx.signal, (problem, cause) =>
        AppError.invalidArgument(
          'parameters.artifact_sha256',
          `${artifactSha256} cannot be scored: ${problem}`,
          {
            cause,
          },
        ),
      );
      scorers.push(candidate);
      const candidateInputs = inputColumns(table, candidate, (name, problem) =>
        AppError.invalidArgument('parameters.artifact_sha256', `the candidate's input "${name}": ${problem}`),
      );

      const championVersion = await resolveAliasedVersion(deps.registry, modelName, alias, ctx.signal);
      let champion: OnnxScorer | undefined;
      let championInputs: InputColumn[] = [];
      if (championVersion !== undefined) {
        champion = await loadScorer(
          deps,
          championVersion.artifactSha256,
          ctx.signal,
          (problem, cause) =>
            new AppError(
              'failed_precondition',
              `the champion models:/${modelName}@${alias} (v${championVersion.version}) cannot be scored: ${problem}`,
              { retriable: false, cause },
            ),
        );
        scorers.push(champion);
        championInputs = inputColumns(
          table,
          champion,
          (name, problem) =>
            new AppError(
              'failed_precondition',
              `the champion models:/${modelName}@${alias} (v${championVersion.version}) cannot be scored on this training set: input "${name}": ${problem}`,
              { retriable: false },
            ),
        );
      }

      const allInputs = [
        ...new Map([...candidateInputs, ...championInputs].map((i) => [i.name, i])).values(),
      ];
      const { rows, labels, dropped } = featureRowsOf(holdout, allInputs);
      if (new Set(labels).size < 2) {
        throw new AppError(
          'failed_precondition',
          `the holdout has ${rows.length} complete row(s) (${dropped} lack a feature) and ${new Set(labels).size} class(es); evaluation needs both classes — widen the window or the holdout_fraction`,
          { retriable: false },
        );
      }
      const candidateMetrics = toMetricsOutput(
        binaryClassificationMetrics(labels, await candidate.score(rows, { signal: ctx.signal })),
      );
      const championMetrics =
        champion === undefined
          ? null
          : toMetricsOutput(
              binaryClassificationMetrics(labels, await champion.score(rows, { signal: ctx.signal })),
            );
      ctx.log.info('candidate evaluated', {
        holdoutRows: rows.length,
        droppedRows: dropped,
        candidate: candidateMetrics,
        champion: championMetrics,
        championVersion: championVersion?.version ?? null,
      });
      return {
        candidate: candidateMetrics,
        champion: championMetrics,
        champion_version: championVersion?.version ?? null,
        champion_artifact_sha256: championVersion?.artifactSha256 ?? null,
        holdout_rows: rows.length,
      };
    } finally {
      await Promise.all(scorers.map((scorer) => scorer.close()));
    }
  };
}

/** Loads an artifact into onnxruntime; `unfit` makes the error for bytes it cannot score. */
async function loadScorer(
  deps: Pick<BuiltinStepDeps, 'blobs'>,
  sha256: string,
  signal: AbortSignal,
  unfit: (problem: string, cause: unknown) => AppError,
): Promise<OnnxScorer> {
  const bytes = await deps.blobs.getBytes(sha256, { signal });
  try {
    return await createOnnxScorer(bytes);
  } catch (error) {
    throw unfit(AppError.from(error).message, error);
  }
}

/** The training-set column of each model input; `unfit` makes the error for an input no single column provides. */
function inputColumns(
  table: TrainingSetTable,
  scorer: OnnxScorer,
  unfit: (name: string, problem: string) => AppError,
): InputColumn[] {
  return scorer.featureNames.map((name) => {
    const resolved = resolveColumn(table, name);
    if ('problem' in resolved) throw unfit(name, resolved.problem);
    return { name, column: resolved.column };
  });
}
