import { DeploymentRolledOutSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { DeploymentState } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  eventsOf,
  expectProbabilities,
  startStack,
  v1Model,
  v2Model,
} from './serving-harness.ts';

describe('following the champion alias', () => {
  it('swaps to the new version when the alias moves, while concurrent requests keep succeeding', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });

    const failures: unknown[] = [];
    const answers = new Map<string, number[]>();
    let running = true;
    const worker = async (): Promise<void> => {
      while (running) {
        try {
          const response = await stack.inference.modelInfer(contentsRequest('weather'));
          const probability = response.outputs.find((output) => output.name === 'probability')!;
          answers.set(response.modelVersion, probability.contents!.fp32Contents);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    try {
      await waitFor(() => answers.has('1'), { what: 'answers from version 1' });

      await stack.register(model, v2Model);
      await stack.setAlias(model, 'champion', 2n);
      await waitFor(
        async () => (await stack.inference.modelMetadata({ name: 'weather' })).versions.join() === '2',
        { what: 'ModelMetadata versions == ["2"]' },
      );
      await waitFor(() => answers.has('2'), { what: 'answers from version 2' });
    } finally {
      running = false;
      await Promise.all(workers);
    }

    expect(failures).toEqual([]);
    expectProbabilities(answers.get('1')!, v1Model);
    expectProbabilities(answers.get('2')!, v2Model);

    const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment).toMatchObject({ state: DeploymentState.READY, stableVersion: 2n, stateMessage: '' });
    await waitFor(() => eventsOf(stack.bus, DeploymentRolledOutSchema).length === 2, {
      what: 'deployment.rolled-out for version 2',
    });
    expect(eventsOf(stack.bus, DeploymentRolledOutSchema)[1]).toMatchObject({
      deploymentName: 'weather',
      modelName: model,
      modelVersion: 2n,
      previousVersion: 1n,
      rolloutId: '',
    });
    expect(await stack.inference.modelReady({ name: 'weather', version: '1' })).toMatchObject({
      ready: false,
    });
    expect(await stack.inference.modelReady({ name: 'weather', version: '2' })).toMatchObject({
      ready: true,
    });
  });

  it('moves back when the alias moves back, and leaves deployments of other aliases alone', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.register(model, v2Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.setAlias(model, 'challenger', 2n);
    await stack.serving.createDeployment({ deployment: championDeployment('champ', model) });
    await stack.serving.createDeployment({
      deployment: {
        name: 'challenger',
        target: { modelName: model, selector: { case: 'alias', value: 'challenger' } },
      },
    });
    await stack.serving.createDeployment({
      deployment: {
        name: 'pinned',
        target: { modelName: model, selector: { case: 'modelVersion', value: 1n } },
      },
    });

    await stack.setAlias(model, 'champion', 2n);
    await waitFor(
      async () => (await stack.inference.modelMetadata({ name: 'champ' })).versions.join() === '2',
      {
        what: 'champ on version 2',
      },
    );
    await stack.setAlias(model, 'champion', 1n);
    await waitFor(
      async () => (await stack.inference.modelMetadata({ name: 'champ' })).versions.join() === '1',
      {
        what: 'champ back on version 1',
      },
    );

    expect((await stack.inference.modelMetadata({ name: 'challenger' })).versions).toEqual(['2']);
    expect((await stack.inference.modelMetadata({ name: 'pinned' })).versions).toEqual(['1']);
    const rolledOut = eventsOf(stack.bus, DeploymentRolledOutSchema).filter(
      (e) => e.deploymentName === 'champ',
    );
    expect(rolledOut.map((e) => [e.previousVersion, e.modelVersion])).toEqual([
      [0n, 1n],
      [1n, 2n],
      [2n, 1n],
    ]);
  });
});
