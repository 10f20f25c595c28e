const lowerIsBetterMetrics: ReadonlySet<string> = new Set([
  'log_loss',
  'brier',
  'brier_score',
  'mse',
  'rmse',
  'mae',
]);

/**
 * Whether a smaller value of `metric` is better: losses and errors (`log_loss`, `brier_score`/`brier`,
 * `mse`, `rmse`, `mae`, any `*_loss` or `*_error`); every other metric (`roc_auc`, `accuracy`, …) is
 * better when larger. One rule for the promotion gate, select-best and the console's "best" marks.
 */
export function lowerIsBetter(metric: string): boolean {
  return lowerIsBetterMetrics.has(metric) || metric.endsWith('_loss') || metric.endsWith('_error');
}
