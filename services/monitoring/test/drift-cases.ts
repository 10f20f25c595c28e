// The drift oracle cases (seeded, so every run draws the same data), shared by the suites that
// check monitoring against scipy and against Evidently's conventions.
import { flights20k, flights200k } from './flights-data.ts';
import { newYorkDays, seattleTrainingDays, shuffled } from './weather-data.ts';

export type Value = number | string | null;
export interface Case {
  name: string;
  kind: 'numeric' | 'categorical';
  reference: Value[];
  window: Value[];
}

/** mulberry32: a small seeded generator, the same numbers on every run. */
export function generator(seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export function draw(n: number, seed: number, value: (g: ReturnType<typeof generator>) => number): number[] {
  const g = generator(seed);
  return Array.from({ length: n }, () => value(g));
}

export const normal =
  (shift = 0, scale = 1) =>
  (g: ReturnType<typeof generator>) =>
    shift + scale * g.normal();
const pareto = (alpha: number) => (g: ReturnType<typeof generator>) => (1 - g.uniform()) ** (-1 / alpha);
const cauchy = (g: ReturnType<typeof generator>) => Math.tan(Math.PI * (g.uniform() - 0.5));
const bernoulli = (p: number) => (g: ReturnType<typeof generator>) => (g.uniform() < p ? 1 : 0);

const wind = (days: { wind: number }[]) => days.map((d) => d.wind);
const tempMax = (days: { temp_max: number }[]) => days.map((d) => d.temp_max);

/** The cases; a reference of at most 100 000 values is kept whole by the profile. */
export const driftCases: Case[] = [
  { name: 'identical-50', kind: 'numeric', reference: draw(50, 1, normal()), window: draw(50, 2, normal()) },
  {
    name: 'identical-1000',
    kind: 'numeric',
    reference: draw(1000, 3, normal()),
    window: draw(1000, 4, normal()),
  },
  {
    name: 'small-shift',
    kind: 'numeric',
    reference: draw(5000, 5, normal()),
    window: draw(2000, 6, normal(0.1)),
  },
  {
    name: 'large-shift-50',
    kind: 'numeric',
    reference: draw(500, 7, normal()),
    window: draw(50, 8, normal(1)),
  },
  {
    name: 'reference-100k',
    kind: 'numeric',
    reference: draw(100_000, 9, normal()),
    window: draw(10_000, 10, normal(0.02)),
  },
  {
    name: 'ties',
    kind: 'numeric',
    reference: draw(3000, 11, (g) => Math.round(g.normal() * 10) / 10),
    window: draw(1000, 12, (g) => Math.round((g.normal() + 0.05) * 10) / 10),
  },
  {
    name: 'heavy-tails-pareto',
    kind: 'numeric',
    reference: draw(20_000, 13, pareto(1.1)),
    window: draw(5000, 14, pareto(1.1)),
  },
  {
    name: 'heavy-tails-cauchy',
    kind: 'numeric',
    reference: draw(30_000, 15, cauchy),
    window: draw(3000, 16, cauchy),
  },
  {
    name: 'nan-and-infinity',
    kind: 'numeric',
    reference: [...draw(800, 17, normal()), null, null],
    window: [...draw(400, 18, normal(0.3)), Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
  },
  {
    name: 'constant-reference',
    kind: 'numeric',
    reference: new Array(1000).fill(0.1),
    window: [...new Array(150).fill(0.1), ...new Array(50).fill(0.1 + 1e-9)],
  },
  {
    name: 'binary-0.3-to-0.6',
    kind: 'numeric',
    reference: draw(2000, 19, bernoulli(0.3)),
    window: draw(500, 20, bernoulli(0.6)),
  },
  {
    name: 'binary-unchanged',
    kind: 'numeric',
    reference: draw(2000, 21, bernoulli(0.3)),
    window: draw(500, 22, bernoulli(0.3)),
  },
  {
    name: 'weather-wind-seattle-vs-new-york',
    kind: 'numeric',
    reference: wind(seattleTrainingDays()),
    window: wind(shuffled(newYorkDays()).slice(0, 300)),
  },
  {
    name: 'weather-temp-max-seattle-itself',
    kind: 'numeric',
    reference: tempMax(seattleTrainingDays()),
    window: tempMax(shuffled(seattleTrainingDays(), 7).slice(0, 365)),
  },
  {
    name: 'categories-unseen',
    kind: 'categorical',
    reference: draw(1000, 23, (g) => Math.floor(g.uniform() * 4)).map((i) => ['a', 'b', 'c', 'd'][i]!),
    window: draw(300, 24, (g) => Math.floor(g.uniform() * 5)).map((i) => ['a', 'b', 'c', 'd', 'new'][i]!),
  },
  {
    name: 'categories-same',
    kind: 'categorical',
    reference: draw(1000, 25, (g) => Math.floor(g.uniform() * 3)).map((i) => ['x', 'y', 'z'][i]!),
    window: draw(400, 26, (g) => Math.floor(g.uniform() * 3)).map((i) => ['x', 'y', 'z'][i]!),
  },
];

const flights = flights200k();
const routed = flights20k();
/** The busiest origins of the first 10 000 routed flights: a reference within the 100-category cap. */
const busiestOrigins = (() => {
  const counts = new Map<string, number>();
  for (const f of routed.slice(0, 10_000)) counts.set(f.origin, (counts.get(f.origin) ?? 0) + 1);
  return new Set(
    [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 50)
      .map(([origin]) => origin),
  );
})();

/**
 * Cases the scipy suite adds (it raises FLYWHEEL_MONITORING_MAX_WINDOW_SAMPLES to 100 000 for
 * them): windows of 100 000, real vega-datasets flights (heavy-tailed delays with ties, distances,
 * 200 airports, unseen ones in the window), constant windows.
 */
export const largeAndRealCases: Case[] = [
  {
    name: 'flights-delay-100k-vs-100k',
    kind: 'numeric',
    reference: flights.slice(0, 100_000).map((f) => f.delay),
    window: flights.slice(100_000).map((f) => f.delay),
  },
  {
    name: 'identical-window-100k',
    kind: 'numeric',
    reference: draw(50_000, 27, normal()),
    window: draw(100_000, 28, normal()),
  },
  {
    name: 'flights-distance-ties',
    kind: 'numeric',
    reference: routed.slice(0, 10_000).map((f) => f.distance),
    window: routed.slice(15_000).map((f) => f.distance),
  },
  {
    name: 'flights-origin-unseen-airports',
    kind: 'categorical',
    reference: routed
      .slice(0, 10_000)
      .filter((f) => busiestOrigins.has(f.origin))
      .map((f) => f.origin),
    window: routed.slice(15_000).map((f) => f.origin),
  },
  {
    name: 'constant-window',
    kind: 'numeric',
    reference: draw(1000, 29, normal()),
    window: new Array(200).fill(0.5),
  },
  {
    name: 'constant-both-apart',
    kind: 'numeric',
    reference: new Array(1000).fill(1),
    window: new Array(100).fill(2),
  },
];
