// Profiles of reference data, and windows compared with them.
import { describe, expect, it } from 'vitest';
import { foldRareCategories, profileColumn } from '../src/profiles/feature-profile.ts';
import { planColumns } from '../src/profiles/profile-dataset.ts';
import type { MonitorRecord } from '../src/records/monitor-records.ts';
import { evaluateWindow } from '../src/windows/evaluate-window.ts';

const monitor = (overrides: Partial<MonitorRecord> = {}): MonitorRecord => ({
  name: 'm',
  team: 't',
  modelName: 'model',
  deploymentName: '',
  features: [
    { name: 'x', kind: 'numeric', source: 'input', tests: [] },
    { name: 'c', kind: 'categorical', source: 'input', tests: [] },
  ],
  defaultNumericTests: [],
  defaultCategoricalTests: [],
  window: { size: 100, durationMs: null, minSamples: 50 },
  performance: null,
  alertCooldownMs: null,
  enabled: true,
  labels: {},
  createTime: '',
  updateTime: '',
  ...overrides,
});

describe('feature profiles', () => {
  it('numeric: moments, decile bins, 101 quantiles and a bounded sorted sample', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    const profile = profileColumn('x', 'numeric', 'input', [...values, null, null], { sampleSize: 1000 });
    expect(profile.count).toBe(10_000);
    expect(profile.missingCount).toBe(2);
    const numeric = profile.numeric!;
    expect(numeric.mean).toBeCloseTo(4999.5, 8);
    expect(numeric.stddev).toBeCloseTo(Math.sqrt((10_000 ** 2 - 1) / 12), 6);
    expect(numeric.binEdges).toHaveLength(11);
    expect(numeric.binCounts).toEqual(new Array(10).fill(1000));
    expect(numeric.quantiles).toHaveLength(101);
    expect(numeric.quantiles[50]).toBeCloseTo(4999.5, 8);
    expect(numeric.sample).toHaveLength(1000);
    expect(numeric.sample).toEqual([...numeric.sample].sort((a, b) => a - b));
  });

  it('categorical: counts, with the rarest folded into __other__ beyond the cap', () => {
    const profile = profileColumn('c', 'categorical', 'input', ['a', 'a', 'b', 'c', null]);
    expect(profile.categorical?.counts).toEqual({ a: 2, b: 1, c: 1 });
    expect(
      foldRareCategories(
        new Map([
          ['a', 5],
          ['b', 3],
          ['c', 1],
          ['d', 1],
        ]),
        2,
      ),
    ).toEqual({ a: 5, b: 3, __other__: 2 });
  });

  it('training-set columns: a model input takes its feature view column, not a same-named pass-through label', () => {
    const columns = [
      'station',
      'event_time',
      'weather_labels:rained',
      'weather_daily:temp_max',
      'weather_daily:wind',
    ];
    const plan = planColumns(columns, { names: new Set(['temp_max', 'wind']), kinds: new Map() });
    expect([...plan]).toEqual([
      ['weather_daily:temp_max', 'temp_max'],
      ['weather_daily:wind', 'wind'],
    ]);
    const clash = planColumns(['daily:x', 'labels:x'], {
      names: new Set(['x']),
      kinds: new Map(),
      featureViews: new Set(['daily']),
    });
    expect([...clash]).toEqual([['daily:x', 'x']]);
    const everything = planColumns(columns, {
      names: new Set(),
      kinds: new Map(),
      featureViews: new Set(['weather_daily']),
    });
    expect([...everything.values()]).toEqual(['temp_max', 'wind']);
  });
});

describe('window evaluation', () => {
  const reference = [
    profileColumn(
      'x',
      'numeric',
      'input',
      Array.from({ length: 2000 }, (_, i) => (i % 100) / 10),
    ),
    profileColumn(
      'c',
      'categorical',
      'input',
      Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? 'b' : 'a')),
    ),
  ];
  const resultId = (feature: string) => `r-${feature}`;

  it('the reference itself shows no drift on any default test', () => {
    const columns = {
      x: Array.from({ length: 100 }, (_, i) => i / 10),
      c: Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 'b' : 'a')),
    };
    const { results, skipped } = evaluateWindow({
      monitor: monitor(),
      profile: reference,
      columns,
      resultId,
    });
    expect(skipped).toEqual([]);
    expect(results.map((r) => [r.feature, r.tests.map((t) => t.kind), r.drifted])).toEqual([
      ['x', ['psi', 'ks'], false],
      ['c', ['psi', 'chi_square'], false],
    ]);
    expect(results[0]!.tests[0]!.statistic).toBeCloseTo(0, 10);
    expect(results[0]!.referenceCount).toBe(2000);
  });

  it('a shifted window drifts on every test, categories new to the reference included', () => {
    const columns = {
      x: Array.from({ length: 100 }, (_, i) => 5 + i / 10),
      c: Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 'b' : 'z')),
    };
    const all = monitor({
      defaultNumericTests: ['psi', 'ks', 'jensen_shannon', 'wasserstein'].map((kind) => ({
        kind: kind as 'psi',
        threshold: 0,
      })),
      defaultCategoricalTests: ['psi', 'chi_square', 'jensen_shannon'].map((kind) => ({
        kind: kind as 'psi',
        threshold: 0,
      })),
    });
    const { results } = evaluateWindow({ monitor: all, profile: reference, columns, resultId });
    for (const result of results) {
      expect(result.drifted).toBe(true);
      for (const test of result.tests) expect(test.drifted, `${result.feature} ${test.kind}`).toBe(true);
    }
    const ks = results[0]!.tests.find((t) => t.kind === 'ks')!;
    expect(ks.statistic).toBeCloseTo(0.5, 1);
    expect(ks.pValue).toBeLessThan(1e-6);
    expect(ks.threshold).toBe(0.01);
  });

  it('skips a feature the profile lacks, or with too few samples', () => {
    const { results, skipped } = evaluateWindow({
      monitor: monitor({
        features: [...monitor().features, { name: 'y', kind: 'numeric', source: 'input', tests: [] }],
      }),
      profile: reference,
      columns: { x: [1, 2, 3], c: Array.from({ length: 60 }, () => 'a') },
      resultId,
    });
    expect(results.map((r) => r.feature)).toEqual(['c']);
    expect(skipped.map((s) => s.feature)).toEqual(['x', 'y']);
  });
});
