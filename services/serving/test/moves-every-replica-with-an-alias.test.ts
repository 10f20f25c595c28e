// Two serving replicas of one deployment, as production runs them: one MongoDB-wire store and one
// Kafka bus shared, distinct instance ids. An alias change must reach each replica (a consumer
// group per replica), not one per group.
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  startServingReplicas,
  v1Model,
  v2Model,
} from './serving-harness.ts';

const servers = realServers();

describe('serving replicas sharing one store and bus (real Kafka and MongoDB)', () => {
  it('moves every replica to the version an alias moves to, and serves a new deployment on each', {
    timeout: 240_000,
  }, async () => {
    const run = uniqueName('replicas').replaceAll('.', '-');
    const model = `weather-${run}`.toLowerCase();
    const { registry, replica: startReplica } = await startServingReplicas({
      run,
      servers,
      isolate: 'groups',
    });
    const register = async (weights: typeof v1Model) => {
      const { version } = await registry.registerVersion({
        requestId: crypto.randomUUID(),
        modelName: model,
        artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(weights) },
        format: ArtifactFormat.ONNX,
      });
      return version!.version;
    };
    const v1 = await register(v1Model);
    const v2 = await register(v2Model);
    await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: v1 });

    const a = await startReplica('a');
    const serving = a.serving;
    await serving.createDeployment({ deployment: championDeployment('weather', model) });
    // The second replica finds the deployment in the shared store when it starts.
    const b = await startReplica('b');
    const replicas = [a, b];
    const versionOn = async (replica: (typeof replicas)[number]) =>
      (await replica.inference.modelInfer(contentsRequest('weather'))).modelVersion;
    await waitFor(async () => (await b.inference.serverReady({})).ready, {
      timeoutMs: 60_000,
      what: 'replica b ready',
    });
    for (const replica of replicas) expect(await versionOn(replica)).toBe(String(v1));

    await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: v2 });
    for (const [i, replica] of replicas.entries()) {
      await waitFor(async () => (await versionOn(replica)) === String(v2), {
        timeoutMs: 60_000,
        what: `replica ${'ab'[i]} serving v${v2}`,
      });
    }
    const { deployment } = await serving.getDeployment({ deploymentName: 'weather' });
    expect(deployment?.stableVersion).toBe(v2);

    // A deployment created through one replica is served by the other too.
    await serving.createDeployment({
      deployment: {
        name: 'pinned',
        target: { modelName: model, selector: { case: 'modelVersion', value: v1 } },
      },
    });
    await waitFor(
      async () => {
        try {
          return (await b.inference.modelInfer(contentsRequest('pinned'))).modelVersion === String(v1);
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 60_000, what: 'replica b serving the deployment created through replica a' },
    );
  });
});
