import { uniqueName, waitFor } from '@flywheel/testing';
import { expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  expectProbabilities,
  startStack,
  v1Model,
  v2Model,
} from './serving-harness.ts';

it('fails no request while the alias moves the version 10 times under steady concurrent traffic', {
  timeout: 120_000,
}, async () => {
  const stack = await startStack();
  const model = uniqueName('weather');
  await stack.register(model, v1Model);
  await stack.register(model, v2Model);
  await stack.setAlias(model, 'champion', 1n);
  await stack.serving.createDeployment({
    deployment: championDeployment('weather', model, {
      runtime: {
        instanceCount: 2,
        dynamicBatching: { maxBatchSize: 16, maxQueueDelayUs: 500, preferredBatchSizes: [] },
      },
    }),
  });

  const failures: unknown[] = [];
  const answers = new Map<string, number[]>();
  let answered = 0;
  let running = true;
  const client = async (): Promise<void> => {
    while (running) {
      try {
        const response = await stack.inference.modelInfer(contentsRequest('weather'));
        const probability = response.outputs.find((output) => output.name === 'probability')!;
        answers.set(response.modelVersion, probability.contents!.fp32Contents);
        answered++;
      } catch (error) {
        failures.push(error);
      }
    }
  };
  const clients = Array.from({ length: 16 }, client);
  const seen: string[] = [];
  try {
    for (let swap = 1; swap <= 10; swap++) {
      const version = swap % 2 === 1 ? 2n : 1n;
      const before = answered;
      await stack.setAlias(model, 'champion', version);
      await waitFor(
        async () =>
          (await stack.inference.modelMetadata({ name: 'weather' })).versions.join() === String(version),
        { what: `swap ${swap}: version ${version} live` },
      );
      // Traffic kept flowing through the swap and reaches the new version.
      answers.delete(String(version));
      await waitFor(() => answers.has(String(version)) && answered > before, {
        what: `swap ${swap}: answers from version ${version}`,
      });
      seen.push(String(version));
    }
  } finally {
    running = false;
    await Promise.all(clients);
  }

  expect(failures).toEqual([]);
  expect(seen).toEqual(['2', '1', '2', '1', '2', '1', '2', '1', '2', '1']);
  expectProbabilities(answers.get('1')!, v1Model);
  expectProbabilities(answers.get('2')!, v2Model);
  const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
  expect(deployment?.stableVersion).toBe(1n);
});
