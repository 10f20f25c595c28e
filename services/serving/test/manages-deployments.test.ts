import { DeploymentRolledOutSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
import { DeploymentState } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  eventsOf,
  rejection,
  type Stack,
  startStack,
  v1Model,
  v2Model,
} from './serving-harness.ts';

/** Registers v1 and v2 of a fresh model, champion on v1; returns the model name. */
async function twoVersions(stack: Stack): Promise<string> {
  const model = uniqueName('weather');
  await stack.register(model, v1Model);
  await stack.register(model, v2Model);
  await stack.setAlias(model, 'champion', 1n);
  return model;
}

describe('managing deployments', () => {
  it('refuses bad specs with INVALID_ARGUMENT naming the field, and a taken name with ALREADY_EXISTS', async () => {
    const stack = await startStack();
    const model = await twoVersions(stack);
    const refused = async (deployment: Record<string, unknown>, field: string) => {
      const error = await rejection(
        stack.serving.createDeployment({ deployment: deployment as never }),
        'invalid_argument',
      );
      expect(error.field).toBe(field);
    };
    await refused({ name: 'weather', target: { modelName: model } }, 'deployment.target');
    await refused(
      { name: 'Weather!', target: { modelName: model, selector: { case: 'alias', value: 'x' } } },
      'deployment.name',
    );
    await refused(
      { name: 'weather', target: { selector: { case: 'alias', value: 'champion' } } },
      'deployment.target.model_name',
    );
    await refused(
      championDeployment('weather', model, {
        target: { modelName: model, selector: { case: 'alias', value: '42' } },
      }),
      'deployment.target.alias',
    );
    await refused(
      championDeployment('weather', model, {
        target: { modelName: model, selector: { case: 'modelVersion', value: 0n } },
      }),
      'deployment.target.model_version',
    );
    await refused(
      championDeployment('weather', model, { predictionLogging: { sampleRate: 1.5 } }),
      'deployment.prediction_logging.sample_rate',
    );

    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    const taken = await rejection(
      stack.serving.createDeployment({ deployment: championDeployment('weather', model) }),
      'already_exists',
    );
    expect(taken.message).toContain('"weather"');
    await rejection(stack.serving.getDeployment({ deploymentName: 'nope' }), 'not_found');
  });

  it('lists deployments by name, filtered by model and team, page by page', async () => {
    const stack = await startStack();
    const a = await twoVersions(stack);
    const b = await twoVersions(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('c-weather', a) });
    await stack.serving.createDeployment({
      deployment: championDeployment('a-weather', a, { team: 'forecast' }),
    });
    await stack.serving.createDeployment({ deployment: championDeployment('b-weather', b) });

    const all = await stack.serving.listDeployments({});
    expect(all.deployments.map((d) => d.name)).toEqual(['a-weather', 'b-weather', 'c-weather']);
    expect(all.nextPageToken).toBe('');
    const ofA = await stack.serving.listDeployments({ modelName: a });
    expect(ofA.deployments.map((d) => d.name)).toEqual(['a-weather', 'c-weather']);
    const ofTeam = await stack.serving.listDeployments({ team: 'forecast' });
    expect(ofTeam.deployments.map((d) => d.name)).toEqual(['a-weather']);

    const first = await stack.serving.listDeployments({ pageSize: 2 });
    expect(first.deployments.map((d) => d.name)).toEqual(['a-weather', 'b-weather']);
    const second = await stack.serving.listDeployments({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.deployments.map((d) => d.name)).toEqual(['c-weather']);
    expect(second.nextPageToken).toBe('');
    const error = await rejection(
      stack.serving.listDeployments({ pageToken: 'garbage' }),
      'invalid_argument',
    );
    expect(error.field).toBe('page_token');
  });

  it('updates settings in place and switches at once when the target changes', async () => {
    const stack = await startStack();
    const model = await twoVersions(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });

    const { deployment: relabelled } = await stack.serving.updateDeployment({
      deployment: championDeployment('weather', model, {
        description: 'rain tomorrow?',
        labels: { tier: 'gold' },
        predictionLogging: { sampleRate: 0.25 },
        runtime: { intraOpThreads: 1, dynamicBatching: { maxBatchSize: 8, maxQueueDelayUs: 100 } },
      }),
    });
    expect(relabelled).toMatchObject({
      description: 'rain tomorrow?',
      labels: { tier: 'gold' },
      predictionLogging: { sampleRate: 0.25 },
      runtime: { intraOpThreads: 1, dynamicBatching: { maxBatchSize: 8, maxQueueDelayUs: 100 } },
      stableVersion: 1n,
      state: DeploymentState.READY,
    });

    const { deployment: pinned } = await stack.serving.updateDeployment({
      deployment: {
        name: 'weather',
        target: { modelName: model, selector: { case: 'modelVersion', value: 2n } },
      },
    });
    expect(pinned).toMatchObject({
      stableVersion: 2n,
      state: DeploymentState.READY,
      target: { selector: { case: 'modelVersion', value: 2n } },
    });
    expect((await stack.inference.modelMetadata({ name: 'weather' })).versions).toEqual(['2']);
    await waitFor(() => eventsOf(stack.bus, DeploymentRolledOutSchema).at(-1)?.modelVersion === 2n, {
      what: 'deployment.rolled-out for the pinned version',
    });

    await rejection(
      stack.serving.updateDeployment({ deployment: championDeployment('nope', model) }),
      'not_found',
    );
  });

  it('refuses a runtime change while a rollout is in progress with FAILED_PRECONDITION naming deployment.runtime', async () => {
    const stack = await startStack();
    const model = await twoVersions(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    await stack.serving.setTrafficSplit({
      deploymentName: 'weather',
      trafficSplit: {
        strategy: {
          case: 'abTest',
          value: {
            variants: [
              { modelVersion: 1n, weight: 1 },
              { modelVersion: 2n, weight: 1 },
            ],
          },
        },
      },
    });
    const refused = await rejection(
      stack.serving.updateDeployment({
        deployment: championDeployment('weather', model, { runtime: { instanceCount: 2 } }),
      }),
      'failed_precondition',
    );
    expect(refused.message).toContain('deployment.runtime');
    expect(
      (await stack.serving.getDeployment({ deploymentName: 'weather' })).deployment?.runtime,
    ).toMatchObject({
      instanceCount: 0,
    });
    // Other settings still apply during the rollout.
    const { deployment } = await stack.serving.updateDeployment({
      deployment: championDeployment('weather', model, { labels: { tier: 'gold' } }),
    });
    expect(deployment?.labels).toEqual({ tier: 'gold' });

    await stack.serving.rollback({ deploymentName: 'weather', reason: 'split ended' });
    const { deployment: resized } = await stack.serving.updateDeployment({
      deployment: championDeployment('weather', model, { runtime: { instanceCount: 2 } }),
    });
    expect(resized).toMatchObject({
      runtime: { instanceCount: 2 },
      stableVersion: 1n,
      state: DeploymentState.READY,
    });
  });

  it('deletes a deployment and stops serving it', async () => {
    const stack = await startStack();
    const model = await twoVersions(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    await stack.inference.modelInfer(contentsRequest('weather'));

    await stack.serving.deleteDeployment({ deploymentName: 'weather' });
    await rejection(stack.serving.getDeployment({ deploymentName: 'weather' }), 'not_found');
    await rejection(stack.inference.modelInfer(contentsRequest('weather')), 'not_found');
    expect(await stack.inference.modelReady({ name: 'weather' })).toMatchObject({ ready: false });
    await rejection(stack.serving.deleteDeployment({ deploymentName: 'weather' }), 'not_found');

    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    expect((await stack.inference.modelInfer(contentsRequest('weather'))).modelVersion).toBe('1');
  });

  it('answers the rollout status of a deployment that never had a rollout as unset', async () => {
    const stack = await startStack();
    const model = await twoVersions(stack);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });
    expect((await stack.serving.getRolloutStatus({ deploymentName: 'weather' })).rollout).toBeUndefined();
  });
});
