import { uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecuredStack, startSecuredStack, tritonSecured } from './secured-stack.ts';
import { expectProbabilities, v1Model } from './serving-harness.ts';

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
      // Another team's deployment reads as a missing one (its name is not disclosed).
      const [unauthenticated, hidden] =
        protocol === 'grpc' ? ['StatusCode.UNAUTHENTICATED', 'StatusCode.NOT_FOUND'] : ['401', '404'];
      expect(anonymous).toMatchObject({
        status: unauthenticated,
        message: expect.stringMatching(/needs a credential/),
      });
      expect(otherTeam).toMatchObject({
        status: hidden,
        message: expect.stringMatching(/does not exist/),
      });
      for (const call of result.calls) {
        expect(call.message ?? '').not.toContain(alice);
        expect(call.message ?? '').not.toContain(bob);
      }
    });
  }
});
