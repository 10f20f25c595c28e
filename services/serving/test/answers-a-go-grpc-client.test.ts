import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, uniqueName } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { deployWeather } from './oip-models.ts';
import { expectProbabilities, startStack, v1Model } from './serving-harness.ts';

const run = promisify(execFile);

/** The Go toolchain: GO, else `go` on PATH, else the machine's /usr/local/go. */
const go = process.env.GO ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go');

describe('a Go gRPC client built from grpc_service.proto', () => {
  it('reads metadata and gets the model’s outputs from raw FP32 inputs, and NOT_FOUND / INVALID_ARGUMENT for bad requests', async () => {
    const stack = await startStack();
    await deployWeather(stack, uniqueName('weather'), 'weather');
    // test/go holds the generated stubs (committed) and a module fetching grpc-go from the Go module proxy.
    const { stdout } = await run(go, ['run', '.', stack.servingService.address, 'weather'], {
      cwd: join(repoRoot, 'test/go'),
      timeout: 240_000,
    });
    const result = JSON.parse(stdout) as {
      live: boolean;
      inputs: string[];
      probability: number[];
      label: number[];
      errors: Record<string, string>;
    };
    expect(result.live).toBe(true);
    expect(result.inputs).toEqual(['temp_max FP32 [-1 1]', 'temp_min FP32 [-1 1]', 'wind FP32 [-1 1]']);
    expectProbabilities(result.probability, v1Model);
    expect(result.label).toEqual(result.probability.map((p) => (p >= 0.5 ? 1 : 0)));
    expect(result.errors).toEqual({ unknown_model: 'NotFound', short_raw: 'InvalidArgument' });
  }, 300_000);
});
