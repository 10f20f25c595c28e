import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot, uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployBytes, deployWeather, identityDatatypes, identityModelBytes } from './oip-models.ts';
import { expectProbabilities, type Stack, startStack, v1Model } from './serving-harness.ts';

const run = promisify(execFile);

interface TritonRun {
  live: boolean;
  ready: boolean;
  model_ready: boolean;
  inputs: { name: string; datatype: string; shape: number[] }[];
  probability: number[];
  label: number[];
  round_trip: Record<string, boolean>;
  errors: Record<string, { status: string; message: string } | null>;
}

/** Runs test/python/triton_client.py (tritonclient 2.73 from PyPI) against serving. */
async function tritonclient(protocol: 'grpc' | 'http', address: string): Promise<TritonRun> {
  const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
  const { stdout } = await run(
    python,
    ['test/python/triton_client.py', protocol, address, 'weather', 'identity'],
    { cwd: repoRoot, timeout: 60_000 },
  );
  return JSON.parse(stdout) as TritonRun;
}

describe("NVIDIA's tritonclient", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ stopManually: true });
    await deployWeather(stack, uniqueName('weather'), 'weather');
    await deployBytes(stack, uniqueName('identity'), 'identity', identityModelBytes());
  });
  afterAll(async () => {
    await stack.stop();
  });

  for (const protocol of ['grpc', 'http'] as const) {
    it(`over ${protocol} reads metadata, gets the model's outputs, round-trips every datatype and sees clear errors`, async () => {
      const address = protocol === 'grpc' ? stack.servingService.address : stack.http.replace('http://', '');
      const result = await tritonclient(protocol, address);
      expect(result).toMatchObject({ live: true, ready: true, model_ready: true });
      expect(result.inputs.map((input) => [input.name, input.datatype, input.shape.map(Number)])).toEqual([
        ['temp_max', 'FP32', [-1, 1]],
        ['temp_min', 'FP32', [-1, 1]],
        ['wind', 'FP32', [-1, 1]],
      ]);
      expectProbabilities(result.probability, v1Model);
      expect(result.label).toEqual(result.probability.map((p) => (p >= 0.5 ? 1 : 0)));
      expect(result.round_trip).toEqual(Object.fromEntries(identityDatatypes.map((d) => [d, true])));
      const [invalid, notFound] =
        protocol === 'grpc' ? ['StatusCode.INVALID_ARGUMENT', 'StatusCode.NOT_FOUND'] : ['400', '404'];
      expect(result.errors).toMatchObject({
        unknown_model: { status: notFound, message: expect.stringMatching(/not deployed/) },
        unknown_version: { status: notFound, message: expect.stringMatching(/no version "99"/) },
        wrong_shape: { status: invalid, message: expect.stringMatching(/shape/) },
        wrong_datatype: { status: invalid, message: expect.stringMatching(/takes FP32/) },
        nan: { status: invalid, message: expect.stringMatching(/not a finite number/) },
      });
    });
  }
});
