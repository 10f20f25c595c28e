import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot, uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecuredStack, startSecuredStack } from './secured-stack.ts';
import { expectProbabilities, v1Model } from './serving-harness.ts';

const run = promisify(execFile);

interface SecuredRun {
  live: boolean;
  calls: { status: string; probability?: number[]; message?: string }[];
}

/** Runs test/python/triton_secured.py (tritonclient over TLS, one inference per token). */
export async function tritonSecured(
  protocol: 'grpc' | 'http',
  address: string,
  model: string,
  ca: string,
  tokens: readonly (string | null)[],
): Promise<SecuredRun> {
  const { stdout } = await run(
    process.env.FLYWHEEL_PYTHON ?? 'python3',
    ['test/python/triton_secured.py', protocol, address, model, ca, JSON.stringify(tokens)],
    { cwd: repoRoot, timeout: 60_000 },
  );
  return JSON.parse(stdout) as SecuredRun;
}

describe("NVIDIA's tritonclient against serving with TLS and authentication on", () => {
  const model = uniqueName('weather');
  let stack: SecuredStack;
  beforeAll(async () => {
    stack = await startSecuredStack(model);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  for (const protocol of ['grpc', 'http'] as const) {
    it(`over ${protocol} with SSL infers with its team's token; is refused without one or with another team's`, async () => {
      const address = protocol === 'grpc' ? stack.serving.address : stack.httpAddress;
      const { alice, bob } = stack.tokens;
      const result = await tritonSecured(protocol, address, model, stack.certs.ca, [alice, null, bob]);
      expect(result.live).toBe(true);
      const [allowed, anonymous, otherTeam] = result.calls;
      expect(allowed?.status).toBe('OK');
      expectProbabilities(allowed!.probability!, v1Model);
      const [unauthenticated, denied] =
        protocol === 'grpc' ? ['StatusCode.UNAUTHENTICATED', 'StatusCode.PERMISSION_DENIED'] : ['401', '403'];
      expect(anonymous).toMatchObject({
        status: unauthenticated,
        message: expect.stringMatching(/needs a credential/),
      });
      expect(otherTeam).toMatchObject({
        status: denied,
        message: expect.stringMatching(/needs the viewer role in team "team-a"/),
      });
      for (const call of result.calls) {
        expect(call.message ?? '').not.toContain(alice);
        expect(call.message ?? '').not.toContain(bob);
      }
    });
  }
});
