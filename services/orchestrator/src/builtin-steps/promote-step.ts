import { AppError, isAppError } from '@flywheel/core';
import { newEvent, toOutboxEntry } from '@flywheel/events';
import {
  PromotionPassedSchema,
  PromotionRejectedSchema,
} from '@flywheel/proto/flywheel/events/v1/model_pb.js';
import type { Collection } from '@flywheel/store';
import type { BuiltinStepDeps, RegistryClient } from './builtin-step-deps.ts';
import {
  type PromotionDecisionRecord,
  promotionDecisionId,
  promotionDecisionsCollection,
} from './promotion-decision-records.ts';
import { decidePromotion, type GateOutcome } from './promotion-gate.ts';
import { resolveAliasedVersion } from './resolve-champion.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep, StepContext } from './step-types.ts';

/**
 * Built-in step `promote`: moves an alias (default `champion`) to a candidate version when there is
 * no champion or the candidate beats it by more than `margin` on `metric` (see
 * {@link decidePromotion}; lower is better for losses). The move is registry SetAlias with
 * compare-and-set on `champion_version`, so it never overwrites a promotion made meanwhile; a retry
 * after a move that went through finds the alias already on the candidate and succeeds.
 *
 * Either way the step records the decision and its event — `promotion.passed` once the alias has
 * moved, `promotion.rejected` when the gate fails — in ONE write of the orchestrator's store (doc
 * `promotion-decisions/<run id>/<step name>`, created once, so a retry emits nothing twice; a crash
 * after the move is finished by the retry, which finds the alias on the candidate). A rejection
 * succeeds with `promoted: false`: it is a decision, not a failed run.
 *
 * | parameter           | type         | meaning |
 * |---------------------|--------------|---------|
 * | `model_name`        | string       | the model |
 * | `model_version`     | number       | the candidate version (register's `model_version`) |
 * | `alias`             | string?      | default `"champion"` |
 * | `metric`            | string       | gate metric, e.g. `"roc_auc"`, `"log_loss"`, `"accuracy"` |
 * | `margin`            | number?      | ≥ 0, default 0: how much better the candidate must be |
 * | `candidate_metrics` | object       | evaluate's `candidate` |
 * | `champion_metrics`  | object\|null | evaluate's `champion` |
 * | `champion_version`  | number\|null | evaluate's `champion_version` |
 * | `team`              | string?      | team recorded on the event; absent = the model's team |
 *
 * Outputs: `promoted` (boolean), `model_version`, `previous_champion` (number or null), `alias`,
 * `reason`, `gates` (each `{ metric, candidate_value, champion_value, threshold, comparison, passed }`).
 *
 * Throws invalid_argument for bad parameters; failed_precondition (not retriable) when the alias
 * moved since evaluation; the registry's and the store's errors as they come (unavailable retried).
 */
export function createPromoteStep(deps: Pick<BuiltinStepDeps, 'registry' | 'store'>): BuiltinStep {
  const decisions = deps.store.collection<PromotionDecisionRecord>(promotionDecisionsCollection);
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const modelName = params.string('model_name');
    const modelVersion = params.number('model_version');
    if (!(Number.isSafeInteger(modelVersion) && modelVersion >= 1)) {
      throw AppError.invalidArgument(
        'parameters.model_version',
        `must be a version number ≥ 1, got ${modelVersion}`,
      );
    }
    const alias = params.optionalString('alias') ?? 'champion';
    const metric = params.string('metric');
    const championVersion = params.nullableNumber('champion_version');
    const verdict = decidePromotion({
      metric,
      margin: params.optionalNumber('margin', 0),
      modelVersion,
      candidateMetrics: params.object('candidate_metrics'),
      championMetrics: params.nullableObject('champion_metrics'),
      championVersion,
    });
    const outputs = (promoted: boolean, reason: string) => ({
      promoted,
      model_version: modelVersion,
      previous_champion: championVersion,
      alias,
      reason,
      gates: verdict.gates.map(gateOutput),
    });

    if (verdict.promote) {
      await moveAlias(deps.registry, ctx, {
        modelName,
        alias,
        modelVersion,
        championVersion,
        reason: verdict.reason,
      });
    }

    const id = promotionDecisionId(ctx.runId, ctx.stepName);
    const existing = await decisions.get(id, { signal: ctx.signal });
    if (existing === undefined) {
      const team = params.optionalString('team') ?? (await modelTeam(deps.registry, modelName, ctx.signal));
      const record: PromotionDecisionRecord = {
        runId: ctx.runId,
        pipelineName: ctx.pipelineName,
        stepName: ctx.stepName,
        modelName,
        alias,
        candidateVersion: modelVersion,
        championVersion,
        promoted: verdict.promote,
        reason: verdict.reason,
        gates: verdict.gates,
        decidedAt: new Date().toISOString(),
      };
      await recordDecision(decisions, id, record, team, ctx.signal);
    }
    if (verdict.promote) {
      ctx.log.info('model promoted', { modelName, alias, modelVersion, previousChampion: championVersion });
      return outputs(true, verdict.reason);
    }
    ctx.log.info('promotion rejected', { modelName, alias, modelVersion, reason: verdict.reason });
    return outputs(false, verdict.reason);
  };
}

async function moveAlias(
  registry: RegistryClient,
  ctx: StepContext,
  move: {
    modelName: string;
    alias: string;
    modelVersion: number;
    championVersion: number | null;
    reason: string;
  },
): Promise<void> {
  const { modelName, alias, modelVersion, championVersion } = move;
  try {
    await registry.setAlias(
      {
        modelName,
        alias,
        modelVersion: BigInt(modelVersion),
        expectedCurrentVersion: BigInt(championVersion ?? 0),
        reason: move.reason,
      },
      { signal: ctx.signal },
    );
  } catch (error) {
    if (!isAppError(error, 'failed_precondition')) throw error;
    const current = await resolveAliasedVersion(registry, modelName, alias, ctx.signal);
    // An earlier attempt of this step moved it and failed afterwards: the promotion is done.
    if (current?.version === modelVersion) return;
    throw new AppError(
      'failed_precondition',
      `models:/${modelName}@${alias} moved to ${current === undefined ? 'nothing' : `v${current.version}`} since evaluation (expected ${championVersion === null ? 'no alias' : `v${championVersion}`}); not promoting v${modelVersion} over it`,
      { retriable: false, cause: error },
    );
  }
}

async function recordDecision(
  decisions: Collection<PromotionDecisionRecord>,
  id: string,
  record: PromotionDecisionRecord,
  team: string,
  signal: AbortSignal,
): Promise<void> {
  // The two events carry the same fields: the decision and every gate with the metrics compared.
  const event = newEvent(
    record.promoted ? PromotionPassedSchema : PromotionRejectedSchema,
    {
      modelName: record.modelName,
      candidateVersion: BigInt(record.candidateVersion),
      championVersion: BigInt(record.championVersion ?? 0),
      alias: record.alias,
      gates: record.gates.map((gate) => ({ ...gate })),
      reason: record.reason,
      pipelineRunId: record.runId,
      team,
    },
    { source: 'flywheel/orchestrator' },
  );
  try {
    await decisions.put(id, record, { expectedVersion: 0, outbox: [toOutboxEntry(event)], signal });
  } catch (error) {
    // A concurrent or earlier attempt recorded this decision (and its event) first.
    if (!isAppError(error, 'already_exists')) throw error;
  }
}

/** The model's owning team, for the event; empty when the model cannot be found. */
async function modelTeam(registry: RegistryClient, modelName: string, signal: AbortSignal): Promise<string> {
  try {
    const { model } = await registry.getModel({ modelName }, { signal });
    return model?.team ?? '';
  } catch (error) {
    if (isAppError(error, 'not_found')) return '';
    throw error;
  }
}

function gateOutput(gate: GateOutcome): Record<string, unknown> {
  return {
    metric: gate.metric,
    candidate_value: gate.candidateValue,
    champion_value: gate.championValue,
    threshold: gate.threshold,
    comparison: gate.comparison,
    passed: gate.passed,
  };
}
