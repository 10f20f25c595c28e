import type { GateOutcome } from './promotion-gate.ts';

/** Collection of promotion decisions; id `<run id>/<step name>`, so one decision per promote step of a run. */
export const promotionDecisionsCollection = 'promotion-decisions';

/** A promote step's decision, stored with its `promotion.passed` or `promotion.rejected` event in one write. */
export interface PromotionDecisionRecord {
  readonly runId: string;
  readonly pipelineName: string;
  readonly stepName: string;
  readonly modelName: string;
  readonly alias: string;
  readonly candidateVersion: number;
  /** null when there was no champion. */
  readonly championVersion: number | null;
  readonly promoted: boolean;
  readonly reason: string;
  readonly gates: readonly GateOutcome[];
  /** RFC 3339. */
  readonly decidedAt: string;
}

/** The id of the decision of one promote step. */
export function promotionDecisionId(runId: string, stepName: string): string {
  return `${runId}/${stepName}`;
}
