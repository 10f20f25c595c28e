import { DeploymentRolledOutSchema } from '@flywheel/proto/flywheel/events/v1/deployment_pb.js';
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
  weatherModel,
} from './serving-harness.ts';

describe('tampered artifacts', () => {
  it('refuses a tampered version and keeps the live one serving, then takes the next good version', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('weather', model) });

    const v2 = await stack.register(model, v2Model);
    await stack.tamper(v2.sha256);
    await stack.setAlias(model, 'champion', v2.version);

    const degraded = await waitFor(
      async () => {
        const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
        return deployment?.state === DeploymentState.DEGRADED && deployment;
      },
      { what: 'the deployment degraded by the refused version' },
    );
    expect(degraded.stableVersion).toBe(1n);
    expect(degraded.stateMessage).toContain('version 2');
    expect(degraded.stateMessage).toContain('failed verification');

    expect((await stack.inference.modelMetadata({ name: 'weather' })).versions).toEqual(['1']);
    const response = await stack.inference.modelInfer(contentsRequest('weather'));
    expect(response.modelVersion).toBe('1');
    const probability = response.outputs.find((output) => output.name === 'probability')!;
    expectProbabilities(probability.contents!.fp32Contents, v1Model);
    expect(eventsOf(stack.bus, DeploymentRolledOutSchema).map((e) => e.modelVersion)).toEqual([1n]);

    const v3Model = weatherModel([-0.5, 0.2, 2.0], 0.1);
    const v3 = await stack.register(model, v3Model);
    await stack.setAlias(model, 'champion', v3.version);
    await waitFor(
      async () => (await stack.inference.modelMetadata({ name: 'weather' })).versions.join() === '3',
      {
        what: 'version 3 live',
      },
    );
    const { deployment } = await stack.serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment).toMatchObject({ state: DeploymentState.READY, stableVersion: 3n, stateMessage: '' });
  });

  it('creates a deployment whose only version is tampered as failed, never serving it', async () => {
    const stack = await startStack();
    const model = uniqueName('weather');
    const v1 = await stack.register(model, v1Model);
    await stack.tamper(v1.sha256);
    await stack.setAlias(model, 'champion', v1.version);

    const { deployment } = await stack.serving.createDeployment({
      deployment: championDeployment('weather', model),
    });
    expect(deployment).toMatchObject({ state: DeploymentState.FAILED, stableVersion: 0n });
    expect(deployment!.stateMessage).toContain('failed verification');
    expect(await stack.inference.modelReady({ name: 'weather' })).toMatchObject({ ready: false });
    // Refused, not "not loaded yet": the answer says why.
    const refused = await rejection(
      stack.inference.modelInfer(contentsRequest('weather')),
      'failed_precondition',
    );
    expect(refused.message).toMatch(/its version was refused — .*failed verification/);
  });
});
