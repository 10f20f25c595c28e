import { AppError } from '@flywheel/core';
import { lowerIsBetter, metricValue } from './model-metrics.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/**
 * Built-in step `select-best`: picks the best of several candidates evaluated on the same holdout
 * (the A/B comparison of the weekly pipeline): the highest `metric`, or the lowest for losses
 * (`log_loss`, `brier_score`, …). A tie goes to the earlier candidate.
 *
 * | parameter    | type     | meaning |
 * |--------------|----------|---------|
 * | `candidates` | object[] | each `{ name, metrics, artifact_sha256, … }`; extra keys are passed through |
 * | `metric`     | string   | the metric compared, e.g. `"roc_auc"` |
 *
 * Outputs: the winner's `name`, `artifact_sha256`, `metrics` and any extra keys it carried, plus
 * `metric`, `value` (its score) and `ranking` (names, best first).
 *
 * Throws invalid_argument (`parameters.candidates[i]…`) for a candidate without a name, an
 * artifact_sha256 or the metric, or repeated names.
 */
export function createSelectBestStep(): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const metric = params.string('metric');
    const seen = new Set<string>();
    const scored = params.objects('candidates').map((candidate, i) => {
      const field = `parameters.candidates[${i}]`;
      const fields = stepParameters(candidate, field);
      const name = fields.string('name');
      if (seen.has(name)) throw AppError.invalidArgument(`${field}.name`, `"${name}" is repeated`);
      seen.add(name);
      fields.sha256('artifact_sha256');
      const metrics = fields.object('metrics');
      return { candidate, name, value: metricValue(metrics, metric, `${field}.metrics`), index: i };
    });
    const lower = lowerIsBetter(metric);
    const ranked = [...scored].sort(
      (a, b) => (lower ? a.value - b.value : b.value - a.value) || a.index - b.index,
    );
    const best = ranked[0]!;
    ctx.log.info('best candidate selected', { name: best.name, metric, value: best.value });
    return { ...best.candidate, metric, value: best.value, ranking: ranked.map((entry) => entry.name) };
  };
}
