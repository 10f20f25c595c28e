import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  binaryClassificationMetrics,
  createOnnxScorer,
  exportLogisticRegressionOnnx,
  type FeatureRow,
  logLoss,
  predictLogisticRegression,
  timeOrderedHoldout,
  toFeatureMatrix,
  trainLogisticRegression,
} from '../src/index.ts';

// Real data: Seattle's daily weather 2012–2015 from the vega-datasets npm package
// (location,date,precipitation,temp_max,temp_min,wind,weather). Task: will it rain (precipitation > 0)
// given the day's max/min temperature (°C) and wind (m/s)? Trained on the earlier 75% of days and
// judged on the latest 25%, as a retrain in production would be.
const weatherCsv = join(
  dirname(createRequire(import.meta.url).resolve('vega-datasets')),
  '..',
  'data',
  'weather.csv',
);

interface Day {
  date: string;
  rained: number;
  features: FeatureRow;
}

function seattleDays(): Day[] {
  const [header, ...lines] = readFileSync(weatherCsv, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const at = (name: string): number => columns.indexOf(name);
  return lines
    .map((line) => line.split(','))
    .filter((cells) => cells[at('location')] === 'Seattle')
    .map((cells) => ({
      date: cells[at('date')]!,
      rained: Number(cells[at('precipitation')]) > 0 ? 1 : 0,
      features: {
        temp_max: Number(cells[at('temp_max')]),
        temp_min: Number(cells[at('temp_min')]),
        wind: Number(cells[at('wind')]),
      },
    }));
}

describe('rain in Seattle (vega-datasets weather.csv)', () => {
  it('trains, exports and scores a model that beats the base rate on later days', async () => {
    const days = seattleDays();
    expect(days).toHaveLength(1461);
    const { train, holdout } = timeOrderedHoldout(days, {
      holdoutFraction: 0.25,
      timeOf: (day) => Date.parse(day.date),
    });
    expect(train.at(-1)!.date < holdout[0]!.date).toBe(true);

    const featureNames = ['temp_max', 'temp_min', 'wind'];
    const model = trainLogisticRegression({
      featureNames,
      features: toFeatureMatrix(
        train.map((day) => day.features),
        featureNames,
      ),
      labels: train.map((day) => day.rained),
    });
    expect(model.converged).toBe(true);

    const scorer = await createOnnxScorer(exportLogisticRegressionOnnx(model));
    const onnxScores = await scorer.score(holdout.map((day) => day.features));
    await scorer.close();
    const tsScores = predictLogisticRegression(
      model,
      toFeatureMatrix(
        holdout.map((day) => day.features),
        featureNames,
      ),
    );
    tsScores.forEach((p, i) => {
      expect(Math.abs(p - onnxScores[i]!)).toBeLessThan(1e-5);
    });

    const labels = holdout.map((day) => day.rained);
    const metrics = binaryClassificationMetrics(labels, onnxScores);
    const baseRate = train.reduce((sum, day) => sum + day.rained, 0) / train.length;
    const baseRateLoss = logLoss(
      labels,
      labels.map(() => baseRate),
    );
    console.log(
      `Seattle rain, ${train.length} train / ${holdout.length} holdout days: ` +
        `AUC ${metrics.rocAuc.toFixed(3)}, log loss ${metrics.logLoss.toFixed(3)} ` +
        `(base rate ${baseRateLoss.toFixed(3)}), accuracy ${metrics.accuracy.toFixed(3)}, ` +
        `Brier ${metrics.brierScore.toFixed(3)}; weights ${model.weights.map((w) => w.toFixed(2)).join(', ')}`,
    );
    expect(metrics.rocAuc).toBeGreaterThan(0.8);
    expect(metrics.logLoss).toBeLessThan(0.8 * baseRateLoss);
  });
});
