// Two serving replicas of one deployment, as production runs them: one MongoDB-wire store and one
// Kafka bus shared, distinct instance ids. An alias change must reach each replica (a consumer
// group per replica), not one per group.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import type { ModelLineageSchema } from '@flywheel/proto/flywheel/common/v1/model_pb.js';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { parsePrometheusText, realServers, sampleSum, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { wireServing } from '../src/index.ts';
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
    const register = async (
      weights: typeof v1Model,
      lineage?: MessageInitShape<typeof ModelLineageSchema>,
    ) => {
      const { version } = await registry.registerVersion({
        requestId: crypto.randomUUID(),
        modelName: model,
        artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(weights) },
        format: ArtifactFormat.ONNX,
        ...(lineage ? { lineage } : {}),
      });
      return version!.version;
    };
    const v1 = await register(v1Model);
    // v2 as a drift-triggered retrain registers it: its rollout is one loop lead time, on one replica.
    const v2 = await register(v2Model, {
      triggerEvent: { id: `drift-${run}`, type: 'drift.detected', time: timestampFromMs(Date.now()) },
    });
    await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: v1 });

    const metricsAddress = new Map<string, string>();
    const recordingAddress =
      (name: string): typeof wireServing =>
      async (host, config) => {
        const wiring = await wireServing(host, config);
        metricsAddress.set(name, wiring.httpAddress);
        return wiring;
      };
    const a = await startReplica('a', recordingAddress('a'));
    const serving = a.serving;
    await serving.createDeployment({ deployment: championDeployment('weather', model) });
    // The second replica finds the deployment in the shared store when it starts.
    const b = await startReplica('b', recordingAddress('b'));
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
    // Both replicas swapped v2 in; the one whose write rolled it out observed the lead time, once.
    const observations = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const text = await (await fetch(`http://${metricsAddress.get(name)}/metrics`)).text();
        return sampleSum(parsePrometheusText(text), 'flywheel_loop_lead_time_seconds_count', { model });
      }),
    );
    expect(observations.sort()).toEqual([0, 1]);

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
