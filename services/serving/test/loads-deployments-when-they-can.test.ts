import { DeploymentCreatedSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { DeploymentState } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  eventsOf,
  expectProbabilities,
  rejection,
  startStack,
  v1Model,
  v2Model,
} from './serving-harness.ts';

const versionsOf = async (stack: Awaited<ReturnType<typeof startStack>>, name: string) =>
  (await stack.inference.modelMetadata({ name })).versions.join();

describe('loading deployments when they can be loaded', () => {
  it('creates a deployment before its alias exists, pending, and serves once the alias is set', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    const { deployment } = await stack.serving.createDeployment({
      deployment: championDeployment('weather', model),
    });
    expect(deployment).toMatchObject({ state: DeploymentState.PENDING, stableVersion: 0n });
    expect(deployment!.stateMessage).toContain(`models:/${model}@champion`);
    expect(await stack.inference.modelReady({ name: 'weather' })).toMatchObject({ ready: false });
    await rejection(stack.inference.modelInfer(contentsRequest('weather')), 'unavailable');
    expect(await stack.inference.serverReady({})).toMatchObject({ ready: true });
    await waitFor(() => eventsOf(stack.bus, DeploymentCreatedSchema).length === 1, {
      what: 'deployment.created',
    });
    expect(eventsOf(stack.bus, DeploymentCreatedSchema)[0]).toMatchObject({
      modelVersion: 0n,
      alias: 'champion',
    });

    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await waitFor(async () => (await stack.inference.modelReady({ name: 'weather' })).ready, {
      what: 'the deployment live',
    });
    const response = await stack.inference.modelInfer(contentsRequest('weather'));
    expectProbabilities(response.outputs[0]!.contents!.fp32Contents, v1Model);
    const { deployment: live } = await stack.serving.getDeployment({ deploymentName: 'weather' });
    expect(live).toMatchObject({ state: DeploymentState.READY, stableVersion: 1n, stateMessage: '' });
  });

  it('restores its deployments after a restart, following an alias that moved while it was down', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    await stack.serving.createDeployment({
      deployment: {
        name: 'pinned',
        target: { modelName: model, selector: { case: 'modelVersion', value: 1n } },
      },
    });

    await stack.servingService.stop();
    await stack.register(model, v2Model);
    await stack.setAlias(model, 'champion', 2n);
    await stack.restartServing();

    await waitFor(async () => (await stack.inference.serverReady({})).ready, { what: 'ServerReady' });
    await waitFor(async () => (await versionsOf(stack, 'weather')) === '2', { what: 'weather on version 2' });
    expect(await versionsOf(stack, 'pinned')).toBe('1');
    const response = await stack.inference.modelInfer(contentsRequest('weather'));
    expectProbabilities(response.outputs[0]!.contents!.fp32Contents, v2Model);
  });

  it('serves the stored version from the blob store while the registry is down, and is ready once it is back', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });

    await stack.stopRegistry();
    await stack.restartServing();
    await waitFor(async () => (await stack.inference.modelReady({ name: 'weather' })).ready, {
      what: 'the stored version live without the registry',
    });
    expect(await stack.inference.serverReady({})).toMatchObject({ ready: false });
    const response = await stack.inference.modelInfer(contentsRequest('weather'));
    expect(response.modelVersion).toBe('1');
    expectProbabilities(response.outputs[0]!.contents!.fp32Contents, v1Model);

    await stack.startRegistry();
    await waitFor(async () => (await stack.inference.serverReady({})).ready, {
      what: 'ServerReady once the registry answers',
      timeoutMs: 20_000,
    });
  });
});
