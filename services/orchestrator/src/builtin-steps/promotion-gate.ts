import { AppError } from '@flywheel/core';
import { lowerIsBetter, metricValue } from './model-metrics.ts';

/** One gate as evaluated; the shape of `flywheel.events.v1.GateResult`. */
export interface GateOutcome {
  readonly metric: string;
  readonly candidateValue: number;
  readonly championValue: number;
  /** The bound the candidate had to beat: champion ± margin. */
  readonly threshold: number;
  /** `">"` when higher is better, `"<"` when lower is (losses). */
  readonly comparison: '>' | '<';
  readonly passed: boolean;
}

/** Whether a candidate may take the alias, and why. */
export interface PromotionVerdict {
  readonly promote: boolean;
  readonly reason: string;
  /** Empty when there is no champion to compare with. */
  readonly gates: readonly GateOutcome[];
}

export interface PromotionGateInput {
  readonly metric: string;
  /** ≥ 0, in the metric's unit: how much better than the champion the candidate must be. */
  readonly margin: number;
  readonly modelVersion: number;
  readonly candidateMetrics: Readonly<Record<string, unknown>>;
  /** null when there is no champion. */
  readonly championMetrics: Readonly<Record<string, unknown>> | null;
  readonly championVersion: number | null;
}

/**
 * The promotion gate: with no champion the candidate is promoted; otherwise it must beat the
 * champion by more than `margin` on `metric` — `candidate > champion + margin`, or
 * `candidate < champion − margin` for metrics where lower is better (`log_loss`, `brier_score`, …).
 * A tie never promotes.
 *
 * @throws AppError invalid_argument (`parameters.*`) for a negative margin, a metric missing from
 *   either side, or champion metrics without a champion version (or the reverse).
 */
export function decidePromotion(input: PromotionGateInput): PromotionVerdict {
  const { metric, margin, modelVersion, championVersion, championMetrics } = input;
  if (!(margin >= 0)) throw AppError.invalidArgument('parameters.margin', `must be ≥ 0, got ${margin}`);
  const candidateValue = metricValue(input.candidateMetrics, metric, 'parameters.candidate_metrics');
  if ((championMetrics === null) !== (championVersion === null)) {
    throw AppError.invalidArgument(
      championMetrics === null ? 'parameters.champion_metrics' : 'parameters.champion_version',
      'champion_metrics and champion_version must both be set, or both be null (no champion)',
    );
  }
  if (championMetrics === null || championVersion === null) {
    return {
      promote: true,
      reason: `no champion yet: v${modelVersion} (${metric} ${format(candidateValue)}) becomes it`,
      gates: [],
    };
  }
  const championValue = metricValue(championMetrics, metric, 'parameters.champion_metrics');
  const lower = lowerIsBetter(metric);
  const threshold = lower ? championValue - margin : championValue + margin;
  const passed = lower ? candidateValue < threshold : candidateValue > threshold;
  const comparison = lower ? '<' : '>';
  const bound = `champion v${championVersion} ${format(championValue)}${margin === 0 ? '' : ` ${lower ? '−' : '+'} margin ${margin}`}`;
  return {
    promote: passed,
    reason: passed
      ? `v${modelVersion} ${metric} ${format(candidateValue)} ${comparison} ${bound}`
      : `v${modelVersion} ${metric} ${format(candidateValue)} is not ${comparison} ${bound}`,
    gates: [{ metric, candidateValue, championValue, threshold, comparison, passed }],
  };
}

function format(value: number): string {
  return Number(value.toPrecision(4)).toString();
}
