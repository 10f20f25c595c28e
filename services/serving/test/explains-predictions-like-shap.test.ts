import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildOnnxModel,
  encodeOnnxModel,
  exportLogisticRegressionOnnx,
  floatTensor,
  seededRandom,
} from '@flywheel/ml';
import { repoRoot, uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployBytes, deployWeather } from './oip-models.ts';
import { contentsRequest, rejection, type Stack, startStack, v1Model } from './serving-harness.ts';

const run = promisify(execFile);

/**
 * A non-linear model of one FP32 input x [N, 10]: σ(x·w + (x∘x)·v + b). The square makes it
 * non-linear in x, so only KernelSHAP explains it.
 */
function quadraticModelBytes(): Uint8Array {
  const w = [0.9, -0.6, 0.4, 0.25, -0.3, 0.15, 0.5, -0.45, 0.2, 0.1];
  const v = [0.2, 0.1, -0.15, 0.05, 0.3, -0.1, 0.0, 0.12, -0.2, 0.08];
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'quadratic',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 10] }],
      outputs: [{ name: 'score', datatype: 'FP32', shape: ['N', 1] }],
      initializers: [
        floatTensor('w', [10, 1], w),
        floatTensor('v', [10, 1], v),
        floatTensor('b', [1], [-0.1]),
      ],
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['linear'] },
        { opType: 'Mul', inputs: ['x', 'x'], outputs: ['squares'] },
        { opType: 'MatMul', inputs: ['squares', 'v'], outputs: ['quadratic'] },
        { opType: 'Add', inputs: ['linear', 'quadratic'], outputs: ['sum'] },
        { opType: 'Add', inputs: ['sum', 'b'], outputs: ['logit'] },
        { opType: 'Sigmoid', inputs: ['logit'], outputs: ['score'] },
      ],
    }),
  );
}

function randomRows(count: number, width: number, seed: number, scale = 1): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: width }, () => Math.fround((random() * 2 - 1) * scale)),
  );
}

interface Explained {
  method: string;
  space: string;
  output: string;
  feature_names: string[];
  base_value: number;
  rows: { contributions: number[]; value: number }[];
  background_rows: number;
  nsamples?: number;
  exhaustive?: boolean;
}
interface CaseResult {
  flywheel?: Explained;
  shap?: { base_value: number; values: number[][] };
  error?: { code: string; details: string };
}

/** Runs test/python/shap_reference.py (grpcio + shap from PyPI) on `cases`. */
async function shapReference(address: string, cases: unknown[]): Promise<Record<string, CaseResult>> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-shap-'));
  const path = join(dir, 'cases.json');
  writeFileSync(path, JSON.stringify(cases));
  const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
  const { stdout } = await run(python, ['test/python/shap_reference.py', address, path], {
    cwd: repoRoot,
    timeout: 90_000,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout) as Record<string, CaseResult>;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, r) => {
    row.forEach((v, f) => {
      max = Math.max(max, Math.abs(v - b[r]![f]!));
    });
  });
  return max;
}

function rms(a: number[][], b: number[][]): number {
  let sum = 0;
  let n = 0;
  a.forEach((row, r) => {
    row.forEach((v, f) => {
      sum += (v - b[r]![f]!) ** 2;
      n++;
    });
  });
  return Math.sqrt(sum / n);
}

const contributionsOf = (result: CaseResult): number[][] =>
  result.flywheel!.rows.map((row) => row.contributions);

describe('Explain, next to the shap package on the same model and data', () => {
  let stack: Stack;
  let weather: string;
  let quadratic: string;
  let results: Record<string, CaseResult>;
  const weatherInputs = ['temp_max', 'temp_min', 'wind'].map((name) => ({ name, width: 1 }));
  const weatherRows = [
    [21.5, 12.25, 6.5],
    [3, -2.5, 1.75],
    [15, 9, 0.5],
  ];
  const weatherBackground = randomRows(20, 3, 7, 20);
  const quadraticInputs = [{ name: 'x', width: 10 }];
  const quadraticRows = randomRows(3, 10, 11, 2);
  const quadraticBackground = randomRows(8, 10, 13, 2);

  beforeAll(async () => {
    stack = await startStack({ stopManually: true });
    weather = uniqueName('weather');
    quadratic = uniqueName('quadratic');
    await deployWeather(stack, weather, weather);
    await deployBytes(stack, quadratic, quadratic, quadraticModelBytes());
    const onnx = join(mkdtempSync(join(tmpdir(), 'flywheel-onnx-')), 'weather.onnx');
    writeFileSync(onnx, exportLogisticRegressionOnnx(v1Model));
    const address = stack.servingService.address;
    results = await shapReference(address, [
      {
        name: 'linear',
        deployment: weather,
        inputs: weatherInputs,
        rows: weatherRows,
        background: weatherBackground,
        method: 'EXPLAIN_METHOD_LINEAR_EXACT',
        reference: { kind: 'linear', onnx },
      },
      {
        // AUTO on the platform's logistic regression, no background: the training means in its graph.
        name: 'linear-training-means',
        deployment: weather,
        inputs: weatherInputs,
        rows: weatherRows,
        background: null,
        method: 'EXPLAIN_METHOD_UNSPECIFIED',
        reference: { kind: 'linear', onnx, background: 'means' },
      },
      {
        name: 'kernel-weather-exhaustive',
        deployment: weather,
        inputs: weatherInputs,
        rows: weatherRows,
        background: weatherBackground,
        method: 'EXPLAIN_METHOD_KERNEL_SHAP',
        reference: { kind: 'kernel', nsamples: 100 },
      },
      {
        name: 'kernel-quadratic-exhaustive',
        deployment: quadratic,
        inputs: quadraticInputs,
        rows: quadraticRows,
        background: quadraticBackground,
        method: 'EXPLAIN_METHOD_UNSPECIFIED',
        nsamples: 1022,
        reference: { kind: 'kernel', nsamples: 1022 },
      },
      {
        name: 'kernel-quadratic-sampled',
        deployment: quadratic,
        inputs: quadraticInputs,
        rows: quadraticRows,
        background: quadraticBackground,
        method: 'EXPLAIN_METHOD_KERNEL_SHAP',
        nsamples: 200,
        seed: 42,
        reference: { kind: 'kernel', nsamples: 200, seed: 42 },
      },
      {
        name: 'linear-on-quadratic',
        deployment: quadratic,
        inputs: quadraticInputs,
        rows: quadraticRows,
        background: quadraticBackground,
        method: 'EXPLAIN_METHOD_LINEAR_EXACT',
        reference: { kind: 'kernel', nsamples: 1022 },
      },
    ]);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('LINEAR_EXACT matches shap.LinearExplainer (interventional) within 1e-9, in log-odds', () => {
    for (const name of ['linear', 'linear-training-means']) {
      const result = results[name]!;
      expect(result.error, name).toBeUndefined();
      expect(result.flywheel).toMatchObject({
        method: 'EXPLAIN_METHOD_LINEAR_EXACT',
        space: 'EXPLANATION_SPACE_MARGIN',
        output: 'probability',
        feature_names: ['temp_max', 'temp_min', 'wind'],
      });
      expect(Math.abs(result.flywheel!.base_value - result.shap!.base_value), name).toBeLessThan(1e-9);
      expect(maxAbsDiff(contributionsOf(result), result.shap!.values), name).toBeLessThan(1e-9);
    }
    expect(results.linear!.flywheel!.background_rows).toBe(20);
    expect(results['linear-training-means']!.flywheel!.background_rows).toBe(1);
  });

  it('KERNEL_SHAP enumerating every coalition matches shap.KernelExplainer within 1e-6', () => {
    for (const [name, coalitions] of [
      ['kernel-weather-exhaustive', 6],
      ['kernel-quadratic-exhaustive', 1022],
    ] as const) {
      const result = results[name]!;
      expect(result.error, name).toBeUndefined();
      expect(result.flywheel, name).toMatchObject({
        method: 'EXPLAIN_METHOD_KERNEL_SHAP',
        space: 'EXPLANATION_SPACE_OUTPUT',
        nsamples: coalitions,
        exhaustive: true,
      });
      expect(Math.abs(result.flywheel!.base_value - result.shap!.base_value), name).toBeLessThan(1e-6);
      expect(maxAbsDiff(contributionsOf(result), result.shap!.values), name).toBeLessThan(1e-6);
      // Efficiency: contributions add up to f(x) − E[f(background)].
      for (const row of result.flywheel!.rows) {
        const sum = row.contributions.reduce((a, b) => a + b, 0);
        expect(Math.abs(row.value - result.flywheel!.base_value - sum)).toBeLessThan(1e-9);
      }
    }
    expect(results['kernel-quadratic-exhaustive']!.flywheel!.feature_names).toEqual(
      Array.from({ length: 10 }, (_, j) => `x[${j}]`),
    );
  });

  it('KERNEL_SHAP with 200 of 1022 coalitions is as close to the exact values as shap is at that budget', () => {
    const exact = results['kernel-quadratic-exhaustive']!.shap!.values;
    const sampled = results['kernel-quadratic-sampled']!;
    expect(sampled.error).toBeUndefined();
    // proto3 JSON leaves a false `exhaustive` out.
    expect(sampled.flywheel!.nsamples).toBe(200);
    expect(sampled.flywheel!.exhaustive ?? false).toBe(false);
    const ours = rms(contributionsOf(sampled), exact);
    const theirs = rms(sampled.shap!.values, exact);
    // Same scheme (sizes 1 and 9, 2 and 8 enumerated: 110 coalitions; 90 sampled), other random draws:
    // our error stays within twice shap's (plus a floor for when shap happens to be very close) and
    // is small against the contributions themselves.
    const scale = Math.sqrt(exact.flat().reduce((sum, v) => sum + v * v, 0) / exact.flat().length);
    expect(ours).toBeLessThan(2 * theirs + 0.01 * scale);
    expect(ours).toBeLessThan(0.05 * scale);
  });

  it('LINEAR_EXACT on a non-linear model is FAILED_PRECONDITION naming the method', () => {
    expect(results['linear-on-quadratic']!.error).toMatchObject({
      code: 'FAILED_PRECONDITION',
      details: expect.stringMatching(/^method: LINEAR_EXACT needs output "score" to be linear/),
    });
  });

  it('refuses bad requests naming the field', async () => {
    const rows = contentsRequest(weather);
    const explain = (request: Record<string, unknown>) => stack.serving.explain(request);
    expect((await rejection(explain({ rows: { ...rows, modelName: 'nope' } }), 'not_found')).message).toMatch(
      /not deployed/,
    );
    expect((await rejection(explain({}), 'invalid_argument')).message).toMatch(/rows/);
    const wrongShape = {
      ...rows,
      inputs: rows.inputs.map((input, i) => (i === 0 ? { ...input, shape: [2n, 2n] } : input)),
    };
    expect((await rejection(explain({ rows: wrongShape }), 'invalid_argument')).message).toMatch(
      /^rows\.inputs.*shape/,
    );
    expect((await rejection(explain({ rows, output: 'nope' }), 'invalid_argument')).message).toMatch(
      /^output:/,
    );
    expect((await rejection(explain({ rows, outputIndex: 3 }), 'invalid_argument')).message).toMatch(
      /^output_index:/,
    );
    expect((await rejection(explain({ rows, nsamples: 50 }), 'invalid_argument')).message).toMatch(
      /^nsamples: is only for KERNEL_SHAP/,
    );
    expect(
      (await rejection(explain({ rows: { ...rows, outputs: [{ name: 'label' }] } }), 'invalid_argument'))
        .message,
    ).toMatch(/^rows\.outputs:/);
    const quadraticRowsRequest = {
      modelName: quadratic,
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1n, 10n], contents: { fp32Contents: quadraticRows[0] } },
      ],
    };
    expect((await rejection(explain({ rows: quadraticRowsRequest }), 'invalid_argument')).message).toMatch(
      /^background: is required/,
    );
    expect(
      (
        await rejection(
          explain({
            rows: quadraticRowsRequest,
            method: 2,
            // 1022 coalitions × 5000 background rows is over the default 4 000 000 model rows.
            background: {
              inputs: [
                {
                  name: 'x',
                  datatype: 'FP32',
                  shape: [5000n, 10n],
                  contents: { fp32Contents: new Array<number>(50_000).fill(0.5) },
                },
              ],
            },
          }),
          'invalid_argument',
        )
      ).message,
    ).toMatch(/^nsamples: .*server's limit/);
  });

  it('answers POST /v2/models/{name}/explain as the gRPC call does', async () => {
    const body = {
      inputs: ['temp_max', 'temp_min', 'wind'].map((name, j) => ({
        name,
        datatype: 'FP32',
        shape: [3, 1],
        data: weatherRows.map((row) => row[j]),
      })),
      background: {
        inputs: ['temp_max', 'temp_min', 'wind'].map((name, j) => ({
          name,
          datatype: 'FP32',
          shape: [20, 1],
          data: weatherBackground.map((row) => row[j]),
        })),
      },
      method: 'LINEAR_EXACT',
    };
    const response = await fetch(`${stack.http}/v2/models/${weather}/explain`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as Explained;
    expect(json.method).toBe('EXPLAIN_METHOD_LINEAR_EXACT');
    expect(
      maxAbsDiff(
        json.rows.map((row) => row.contributions),
        results.linear!.shap!.values,
      ),
    ).toBeLessThan(1e-9);
    const bad = await fetch(`${stack.http}/v2/models/${weather}/explain`, {
      method: 'POST',
      body: JSON.stringify({ ...body, method: 'TREE' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^method:/);
    const unknownField = await fetch(`${stack.http}/v2/models/${weather}/explain`, {
      method: 'POST',
      body: JSON.stringify({ ...body, l1_reg: 0.1 }),
    });
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as { error: string }).error).toMatch(/^l1_reg:/);
  });
});
