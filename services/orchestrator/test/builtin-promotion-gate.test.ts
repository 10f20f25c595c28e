import { describe, expect, it } from 'vitest';
import { decidePromotion } from '../src/builtin-steps/index.ts';

// The gate promote applies: beat the champion by more than the margin, in the metric's direction.
describe('the promotion gate', () => {
  const base = { modelVersion: 2, championVersion: 1, margin: 0 };

  it('promotes when there is no champion', () => {
    const verdict = decidePromotion({
      ...base,
      metric: 'roc_auc',
      candidateMetrics: { roc_auc: 0.6 },
      championMetrics: null,
      championVersion: null,
    });
    expect(verdict).toEqual({
      promote: true,
      reason: 'no champion yet: v2 (roc_auc 0.6) becomes it',
      gates: [],
    });
  });

  it('promotes a higher AUC and records the gate', () => {
    const verdict = decidePromotion({
      ...base,
      metric: 'roc_auc',
      candidateMetrics: { roc_auc: 0.9 },
      championMetrics: { roc_auc: 0.85 },
    });
    expect(verdict.promote).toBe(true);
    expect(verdict.gates).toEqual([
      {
        metric: 'roc_auc',
        candidateValue: 0.9,
        championValue: 0.85,
        threshold: 0.85,
        comparison: '>',
        passed: true,
      },
    ]);
    expect(verdict.reason).toBe('v2 roc_auc 0.9 > champion v1 0.85');
  });

  it('never promotes on a tie', () => {
    const verdict = decidePromotion({
      ...base,
      metric: 'accuracy',
      candidateMetrics: { accuracy: 0.8 },
      championMetrics: { accuracy: 0.8 },
    });
    expect(verdict.promote).toBe(false);
  });

  it('requires beating the champion by more than the margin', () => {
    const input = {
      ...base,
      metric: 'roc_auc',
      candidateMetrics: { roc_auc: 0.86 },
      championMetrics: { roc_auc: 0.85 },
    };
    expect(decidePromotion({ ...input, margin: 0.02 })).toMatchObject({
      promote: false,
      reason: 'v2 roc_auc 0.86 is not > champion v1 0.85 + margin 0.02',
    });
    expect(decidePromotion({ ...input, margin: 0.005 }).promote).toBe(true);
  });

  it.each(['log_loss', 'brier_score', 'brier', 'rmse', 'hinge_loss', 'mean_absolute_error'])(
    'takes lower %s as better',
    (metric) => {
      const verdict = decidePromotion({
        ...base,
        margin: 0.01,
        metric,
        candidateMetrics: { [metric]: 0.4 },
        championMetrics: { [metric]: 0.45 },
      });
      expect(verdict.promote).toBe(true);
      expect(verdict.gates[0]).toMatchObject({ comparison: '<', threshold: 0.44 });
    },
  );

  it('rejects a negative margin', () => {
    expect(() =>
      decidePromotion({
        ...base,
        margin: -0.1,
        metric: 'roc_auc',
        candidateMetrics: { roc_auc: 0.9 },
        championMetrics: { roc_auc: 0.85 },
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_argument', field: 'parameters.margin' }));
  });
});
