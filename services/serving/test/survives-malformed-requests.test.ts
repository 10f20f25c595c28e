import { AppError } from '@flywheel/core';
import { seededRandom } from '@flywheel/ml';
import { uniqueName } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { contentsFields } from '../src/runtime/oip-datatypes.ts';
import { deployBytes, deployWeather, identityDatatypes, identityModelBytes } from './oip-models.ts';
import { contentsRequest, expectProbabilities, features, startStack, v1Model } from './serving-harness.ts';

const datatypes = [...identityDatatypes, 'BF16', 'STRING', '', 'fp32'];

/** Mutation kinds of gRPC requests: 0 shapes, 1 datatypes, 2 names, 3 element counts, 4 NaN/∞, 5 contents fields, 6 raw bytes, 7 models, 8 versions. */
const grpcKinds = 9;

/**
 * One malformed OIP request of mutation `kind`, in raw or typed contents, its details chosen by
 * `random`: wrong names, shapes, datatypes, lengths, NaNs, models.
 */
function malformedRequest(random: () => number, kind: number, raw: boolean) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (max: number) => Math.floor(random() * max);
  const rows = pick([0, 1, 2, 3, 5]);
  const names = [...features, 'nope', '', 'temp_max'];
  const inputCount = pick([0, 1, 2, 3, 3, 3, 4]);
  const inputs = Array.from({ length: inputCount }, (_, i) => {
    const shape =
      kind === 0
        ? Array.from({ length: int(4) }, () => BigInt(pick([0, 1, 3, -1, 2 ** 40])))
        : [BigInt(rows), 1n];
    const datatype = kind === 1 ? pick(datatypes) : 'FP32';
    const name = kind === 2 ? pick(names) : features[i % 3]!;
    const count = kind === 3 ? int(8) : rows;
    const values = Array.from({ length: count }, () =>
      kind === 4 ? pick([Number.NaN, Number.POSITIVE_INFINITY, 1]) : random() * 10,
    );
    const field = kind === 5 ? pick(contentsFields) : 'fp32Contents';
    const contents =
      raw || (field !== 'fp32Contents' && field !== 'fp64Contents')
        ? field === 'bytesContents'
          ? { bytesContents: values.map(() => new Uint8Array([int(256)])) }
          : field === 'boolContents'
            ? { boolContents: values.map(() => true) }
            : field.includes('64') && field !== 'fp64Contents'
              ? { [field]: values.map(() => BigInt(int(100))) }
              : { [field]: values.map((v) => Math.floor(v)) }
        : { [field]: values };
    return { name, datatype, shape, ...(raw ? {} : { contents }), values };
  });
  const rawInputContents = raw
    ? inputs.map((input) =>
        kind === 6
          ? Uint8Array.from({ length: int(64) }, () => int(256))
          : new Uint8Array(Float32Array.from(input.values).buffer),
      )
    : [];
  const modelName = kind === 7 ? pick(['', 'nope', 'weather\u0000', 'identity']) : 'weather';
  const modelVersion = kind === 8 ? pick(['0', '2', 'x', '-1', '99999999999999999999']) : '';
  // Every malformed request must actually be malformed: make sure at least one thing is wrong.
  // (An empty batch, or a NaN draw that came out finite, is a well-formed request.)
  const missing = inputCount < 3;
  return {
    request: {
      modelName,
      modelVersion,
      inputs: inputs.map(({ values: _values, ...input }) => input),
      rawInputContents,
      outputs: random() < 0.1 ? [{ name: pick(['probability', 'nope', 'label']) }] : [],
    },
    certainlyBad: missing || kind === 7 || kind === 8,
  };
}

/** Requests per gRPC mutation kind and contents form (raw/typed), and per REST case. */
const perGrpcCase = 12;
const restCases = 6;
const perRestCase = 20;
/** Requests in flight at once: enough to overlap, few enough for a busy 2-core machine. */
const concurrency = 8;

/** Runs `task` for every item, at most `limit` at once. */
async function eachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

describe('malformed inference requests', () => {
  it('are each answered INVALID_ARGUMENT or NOT_FOUND over gRPC and 400/404/413 over REST, and the server still answers correctly after', {
    timeout: 180_000,
  }, async () => {
    const stack = await startStack();
    await deployWeather(stack, uniqueName('weather'), 'weather');
    await deployBytes(stack, uniqueName('identity'), 'identity', identityModelBytes());
    const random = seededRandom(20_261_123);
    const codes = new Map<string, number>();
    const count = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);

    // gRPC: every mutation kind, in raw and in typed contents, perGrpcCase times each (216).
    const grpcCases = Array.from({ length: grpcKinds * 2 * perGrpcCase }, (_, i) => ({
      kind: i % grpcKinds,
      raw: Math.floor(i / grpcKinds) % 2 === 1,
    }));
    await eachBounded(grpcCases, concurrency, async ({ kind, raw }) => {
      const { request, certainlyBad } = malformedRequest(random, kind, raw);
      try {
        await stack.inference.modelInfer(request);
        if (certainlyBad) count('ok-but-bad');
        else count('ok');
      } catch (error) {
        const code = error instanceof AppError ? error.code : 'not-an-app-error';
        count(code);
        if (code !== 'invalid_argument' && code !== 'not_found') {
          throw new Error(
            `${code}: ${(error as Error).message} for ${JSON.stringify(request, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
          );
        }
      }
    });

    // REST: perRestCase bodies of each case (120): garbage bytes, truncated JSON, wrong shapes/types, bad binary sizes, unknown models.
    const restStatuses = new Map<number, number>();
    const base = stack.http;
    const bodies = (
      i: number,
    ): { path: string; body: Uint8Array | string; headers: Record<string, string> } => {
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const good = {
        inputs: features.map((name) => ({ name, datatype: 'FP32', shape: [2, 1], data: [1, 2] })),
      };
      const text = JSON.stringify(good);
      switch (i % 6) {
        case 0:
          return {
            path: 'weather',
            body: Uint8Array.from({ length: 1 + Math.floor(random() * 200) }, () =>
              Math.floor(random() * 256),
            ),
            headers: {},
          };
        case 1:
          return { path: 'weather', body: text.slice(0, Math.floor(random() * text.length)), headers: {} };
        case 2: {
          const broken = structuredClone(good) as { inputs: Record<string, unknown>[] };
          const input = broken.inputs[Math.floor(random() * 3)]!;
          const field = pick(['shape', 'datatype', 'data', 'name'] as const);
          const wrong = {
            shape: [[-1], [2, 2], [2], 'x', [2.5, 1], [2, 1, 1]],
            datatype: ['FP64', 'INT32', 'BF16', '', 7],
            data: [['a', 'b'], [null, 1], 7, { x: 1 }, [1e40, 2], [1, 2, 3], [[1], [2], [3]]],
            name: ['nope', '', 7, null],
          }[field];
          input[field] = pick(wrong as unknown[]);
          return { path: pick(['weather', 'identity']), body: JSON.stringify(broken), headers: {} };
        }
        case 3: {
          const header = JSON.stringify({
            inputs: features.map((name) => ({
              name,
              datatype: 'FP32',
              shape: [2, 1],
              parameters: { binary_data_size: pick([0, 4, 8, 12, -1, 1e12]) },
            })),
          });
          return {
            path: 'weather',
            body: header + 'x'.repeat(Math.floor(random() * 30)),
            headers: {
              'inference-header-content-length': pick([String(header.length), '-3', 'abc', '99999999']),
            },
          };
        }
        case 4:
          return {
            path: pick(['nope', 'weather/versions/9', '%E0%A4%A', 'weather/versions/1/ready/x']),
            body: text,
            headers: {},
          };
        default:
          // Two bodies over the 64 MiB limit (413), the rest an empty JSON object.
          return {
            path: 'weather',
            body: i < 2 * restCases ? 'x'.repeat(70 * 1024 * 1024) : '{}',
            headers: {},
          };
      }
    };
    const restIndexes = Array.from({ length: restCases * perRestCase }, (_, i) => i);
    await eachBounded(restIndexes, concurrency, async (i) => {
      const { path, body, headers } = bodies(i);
      const response = await fetch(`${base}/v2/models/${path}/infer`, { method: 'POST', body, headers });
      restStatuses.set(response.status, (restStatuses.get(response.status) ?? 0) + 1);
      const json = (await response.json()) as { error?: string };
      expect([400, 404, 413], `${response.status} ${json.error} for ${String(body).slice(0, 120)}`).toContain(
        response.status,
      );
      expect(json.error).toEqual(expect.any(String));
    });
    expect(restStatuses.get(413)).toBe(2);

    expect(codes.get('ok-but-bad') ?? 0).toBe(0);
    // As with 2 000 random requests before: more than three in four are refused outright.
    expect((codes.get('invalid_argument') ?? 0) + (codes.get('not_found') ?? 0)).toBeGreaterThan(
      0.75 * grpcCases.length,
    );
    // The server is unharmed: a correct request still gets the model's answer, over both protocols.
    const answer = await stack.inference.modelInfer(contentsRequest('weather'));
    expectProbabilities(answer.outputs[0]!.contents!.fp32Contents, v1Model);
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
  });
});
