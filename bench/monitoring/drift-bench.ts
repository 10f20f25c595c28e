/**
 * Benchmark: Flywheel monitoring's drift evaluation vs Evidently 0.7.23's DataDriftPreset on the
 * same numeric data, in one run (Evidently in a child Python process), printing both and the ratio.
 *
 *   EVIDENTLY_PYTHON=$(bench/monitoring/setup-evidently.sh) node bench/monitoring/drift-bench.ts \
 *     [rows=100000] [features=100] [growthFeatures=10] [phases=check,compare,growth | flywheel]
 *   (node --expose-gc … starts each timed Flywheel run from a collected heap; METHODS=… limits compare)
 *
 * Timed on Flywheel's side, per method: the service's evaluation path without store and bus —
 * `profileDataset` over the reference columns as `readColumns` yields them (plan, kind check, sort, bins, quantiles, sample per
 * feature, the service's default sample budget) then `evaluateWindow` over the current window's
 * columns (the tests, Evidently convention). On Evidently's side: `Report([DataDriftPreset(method)])
 * .run(current, reference)` on Datasets built beforehand (frame building is reported, not timed).
 * Both sides' CPU seconds are printed beside the wall seconds (Node's process.cpuUsage, Python's
 * time.process_time), with a CPU ratio: on a shared, loaded machine wall time says more about the load.
 * `check` asserts Flywheel's Evidently-convention numbers equal Evidently's within 1e-6 (p-values
 * relatively) on small exact-sample datasets, and exits 1 otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateWindow, type MonitorRecord, type ProfileTable, profileDataset } from '@flywheel/monitoring';

const args = process.argv.slice(2);
const rows = Number(args[0] ?? 100_000);
const features = Number(args[1] ?? 100);
const growthFeatures = Number(args[2] ?? 10);
const phases = new Set((args[3] ?? 'check,compare,growth').split(','));
/** Evidently methods the compare phase runs besides DataDriftPreset() (METHODS=ks,psi,…; default all four). */
const compareMethods = (process.env.METHODS ?? 'ks,psi,jensen_shannon,wasserstein').split(',');
const python =
  process.env.EVIDENTLY_PYTHON ?? `${process.env.HOME}/.cache/flywheel/evidently-venv/bin/python`;
const script = join(import.meta.dirname, 'evidently_drift.py');

type Method = 'ks' | 'psi' | 'jensen_shannon' | 'wasserstein';
const methods: Method[] = ['ks', 'psi', 'jensen_shannon', 'wasserstein'];
const evidentlyName: Record<Method, string> = {
  ks: 'ks',
  psi: 'psi',
  jensen_shannon: 'jensenshannon',
  wasserstein: 'wasserstein',
};

/** mulberry32, seeded: the same data on every run. */
function generator(seed: number) {
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

/** Feature f, one side: normal, log-normal, uniform and rounded (ties) columns; every 5th drifts. */
function column(f: number, n: number, current: boolean): Float64Array {
  const g = generator(f * 2 + (current ? 1 : 0) + 1);
  const shift = current && f % 5 === 0 ? 0.1 : 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (f % 4) {
      case 0:
        out[i] = g.normal() + shift;
        break;
      case 1:
        out[i] = Math.exp(0.5 * g.normal() + shift);
        break;
      case 2:
        out[i] = g.uniform() * (1 + shift);
        break;
      default:
        out[i] = Math.round((g.normal() + shift) * 10);
    }
  }
  return out;
}

interface Data {
  features: number;
  rows: number;
  reference: Float64Array[];
  current: Float64Array[];
  dir: string;
}

function makeData(featureCount: number, n: number): Data {
  const reference = Array.from({ length: featureCount }, (_, f) => column(f, n, false));
  const current = Array.from({ length: featureCount }, (_, f) => column(f, n, true));
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-drift-bench-'));
  const concat = (cols: Float64Array[]) => Buffer.concat(cols.map((c) => Buffer.from(c.buffer)));
  writeFileSync(join(dir, 'reference.f64'), concat(reference));
  writeFileSync(join(dir, 'current.f64'), concat(current));
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({ features: featureCount, rows: { reference: n, current: n } }),
  );
  return { features: featureCount, rows: n, reference, current, dir };
}

const names = (count: number) => Array.from({ length: count }, (_, f) => `f${f}`);

function monitorOf(featureCount: number, tests: readonly Method[], n: number): MonitorRecord {
  return {
    name: 'bench',
    team: 'default',
    modelName: 'bench',
    deploymentName: '',
    features: names(featureCount).map((name) => ({
      name,
      kind: 'numeric',
      source: 'input',
      tests: tests.map((kind) => ({ kind, threshold: 0, convention: 'evidently' })),
    })),
    defaultNumericTests: [],
    defaultCategoricalTests: [],
    window: { size: n, durationMs: null, minSamples: 0 },
    performance: null,
    alertCooldownMs: null,
    enabled: true,
    labels: {},
    createTime: '',
    updateTime: '',
  };
}

/** Flywheel's run: profile the reference columns, evaluate the window; seconds of each and the results. */
const inputs = new WeakMap<Data, { table: ProfileTable; columns: Record<string, number[]> }>();

type FlywheelRun = Awaited<ReturnType<typeof flywheel>>;

async function flywheel(data: Data, tests: readonly Method[]) {
  const featureNames = names(data.features);
  // The reference as the dataset reader yields it (`readColumns`: a packed Float64Array per
  // column, NaN = missing) and the window's columns as the accumulator holds them, built once
  // per dataset before timing (as Evidently's frames are).
  let input = inputs.get(data);
  if (!input) {
    const table: ProfileTable = {
      rows: data.rows,
      columns: new Map(
        featureNames.map((name, f) => [name, { type: 'numbers' as const, values: data.reference[f]! }]),
      ),
    };
    const columns: Record<string, number[]> = {};
    for (let f = 0; f < data.features; f++) columns[featureNames[f]!] = Array.from(data.current[f]!);
    input = { table, columns };
    inputs.set(data, input);
  }
  const { table, columns } = input;
  // Start each timed run from a collected heap when node runs with --expose-gc.
  (globalThis as { gc?: () => void }).gc?.();
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  const profile = await profileDataset(table, {
    wanted: { names: new Set(featureNames), kinds: new Map(featureNames.map((n) => [n, 'numeric'])) },
    limits: { sampleSize: 100_000 },
  });
  const profiled = performance.now();
  const cpuProfiled = process.cpuUsage(cpuStarted);
  const { results } = evaluateWindow({
    monitor: monitorOf(data.features, tests, data.rows),
    profile,
    columns,
    resultId: (feature) => feature,
  });
  const evaluated = performance.now();
  const cpuTotal = process.cpuUsage(cpuStarted);
  const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
  return {
    profileCpuSeconds: cpuSeconds(cpuProfiled),
    evaluateCpuSeconds: cpuSeconds(cpuTotal) - cpuSeconds(cpuProfiled),
    profileSeconds: (profiled - started) / 1000,
    evaluateSeconds: (evaluated - profiled) / 1000,
    results,
  };
}

interface EvidentlyRun {
  method: string;
  seconds: number;
  /** The Python process's CPU seconds over the run (all its threads). */
  cpu_seconds: number;
  scores: Record<string, { method: string; value: number }>;
}

function evidently(data: Data, runs: readonly string[]): { prepare: number; runs: EvidentlyRun[] } {
  const child = spawnSync(python, [script, data.dir, runs.join(',')], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`Evidently exited ${child.status}`);
  const lines = child.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  return { prepare: lines[0].prepare, runs: lines.slice(1) };
}

const fmt = (seconds: number) => `${seconds.toFixed(3)} s`;

async function check(): Promise<boolean> {
  // Exact samples (4 features share the 400 000 budget): Evidently's numbers must be reproduced.
  let worst = 0;
  let ok = true;
  for (const n of [2_000, 20_000]) {
    const data = makeData(4, n);
    const ev = evidently(
      data,
      methods.map((m) => evidentlyName[m]),
    );
    const fw = await flywheel(data, methods);
    for (const [i, method] of methods.entries()) {
      for (const result of fw.results) {
        const test = result.tests.find((t) => t.kind === method)!;
        const mine = method === 'ks' ? test.pValue : test.statistic;
        const theirs = ev.runs[i]!.scores[result.feature]!.value;
        const difference = Math.abs(mine - theirs);
        const tolerance = method === 'ks' ? Math.max(1e-6 * Math.abs(theirs), 1e-300) : 1e-6;
        worst = Math.max(
          worst,
          method === 'ks' ? difference / Math.max(Math.abs(theirs), 1e-300) : difference,
        );
        if (difference > tolerance) {
          ok = false;
          console.log(`MISMATCH n=${n} ${result.feature} ${method}: Flywheel ${mine} vs Evidently ${theirs}`);
        }
      }
    }
  }
  console.log(
    `check (4 features × 2 000 and 20 000 rows, 4 methods): largest difference ${worst.toExponential(2)} → ${ok ? 'equal within 1e-6' : 'MISMATCH'}`,
  );
  return ok;
}

async function compare(): Promise<void> {
  const data = makeData(features, rows);
  console.log(`\ncompare: ${features} numeric features × ${rows} reference vs ${rows} current rows`);
  const chosen = methods.filter((m) => compareMethods.includes(m));
  const ev = evidently(data, ['default', ...chosen.map((m) => evidentlyName[m])]);
  console.log(`Evidently frames + Datasets (untimed): ${fmt(ev.prepare)}`);
  // DataDriftPreset() picks Wasserstein for numeric columns of > 1 000 rows with > 5 values.
  const table: string[][] = [];
  const row = (label: string, e: { seconds: number; cpu: number }, f: FlywheelRun) => {
    const total = f.profileSeconds + f.evaluateSeconds;
    const cpu = f.profileCpuSeconds + f.evaluateCpuSeconds;
    table.push([
      label,
      fmt(e.seconds),
      fmt(f.profileSeconds),
      fmt(f.evaluateSeconds),
      fmt(total),
      `${(e.seconds / total).toFixed(1)}×`,
      fmt(e.cpu),
      fmt(cpu),
      `${(e.cpu / cpu).toFixed(1)}×`,
    ]);
  };
  const timesOf = (run: EvidentlyRun) => ({ seconds: run.seconds, cpu: run.cpu_seconds });
  const wasserstein = await flywheel(data, ['wasserstein']);
  row('DataDriftPreset() vs Flywheel Wasserstein', timesOf(ev.runs[0]!), wasserstein);
  for (const [i, method] of chosen.entries()) {
    row(method, timesOf(ev.runs[i + 1]!), await flywheel(data, [method]));
  }
  if (chosen.length === methods.length) {
    const all = await flywheel(data, methods);
    const runs = ev.runs.slice(1);
    row(
      'all four',
      {
        seconds: runs.reduce((sum, r) => sum + r.seconds, 0),
        cpu: runs.reduce((sum, r) => sum + r.cpu_seconds, 0),
      },
      all,
    );
  }
  print(
    [
      'method',
      'Evidently',
      'Flywheel profile',
      'Flywheel evaluate',
      'Flywheel total',
      'ratio',
      'Evidently CPU',
      'Flywheel CPU',
      'CPU ratio',
    ],
    table,
  );
}

async function growth(): Promise<void> {
  console.log(`\ngrowth: ${growthFeatures} numeric features, reference = current = N rows`);
  const table: string[][] = [];
  for (const n of [10_000, 100_000, 1_000_000]) {
    const data = makeData(growthFeatures, n);
    const ev = evidently(data, ['default']);
    const f = await flywheel(data, methods);
    const total = f.profileSeconds + f.evaluateSeconds;
    const cpu = f.profileCpuSeconds + f.evaluateCpuSeconds;
    const e = ev.runs[0]!;
    table.push([
      String(n),
      fmt(e.seconds),
      fmt(f.profileSeconds),
      fmt(f.evaluateSeconds),
      `${(e.seconds / total).toFixed(1)}×`,
      fmt(e.cpu_seconds),
      fmt(cpu),
      `${(e.cpu_seconds / cpu).toFixed(1)}×`,
    ]);
  }
  print(
    [
      'N',
      'Evidently DataDriftPreset()',
      'Flywheel profile',
      'Flywheel evaluate (all four)',
      'ratio',
      'Evidently CPU',
      'Flywheel CPU',
      'CPU ratio',
    ],
    table,
  );
}

function print(header: string[], table: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  for (const line of [header, ...table])
    console.log(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

/** Flywheel alone (for profiling: node --cpu-prof … flywheel). */
async function flywheelOnly(): Promise<void> {
  const data = makeData(features, rows);
  for (const tests of [...methods.map((m) => [m]), methods]) {
    const f = await flywheel(data, tests);
    console.log(
      `${tests.join('+')}: profile ${fmt(f.profileSeconds)} (cpu ${fmt(f.profileCpuSeconds)}), evaluate ${fmt(f.evaluateSeconds)} (cpu ${fmt(f.evaluateCpuSeconds)})`,
    );
  }
}

let ok = true;
if (phases.has('flywheel')) await flywheelOnly();
if (phases.has('check')) ok = await check();
if (phases.has('compare')) await compare();
if (phases.has('growth')) await growth();
process.exit(ok ? 0 : 1);
