// Issue 9: two serving replicas on one MongoDB-wire store and one Kafka bus. Whatever one replica
// is asked to do to a deployment (create, update, traffic split, rollback, delete) the other must
// serve too, without a restart or an alias move; a replica that was down while a deployment
// changed serves the stored deployment once it is back.
import { toJson } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import { exportLogisticRegressionOnnx } from '@flywheel/ml';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { DeploymentSchema } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { wireServing } from '../src/index.ts';
import { contentsRequest, startServingReplicas, v1Model, v2Model } from './serving-harness.ts';

const servers = realServers();
const deadline = { timeoutMs: 60_000, intervalMs: 100 };

async function startStack(run: string) {
  const { registry, replica: startReplica } = await startServingReplicas({
    run,
    servers,
    env: { FLYWHEEL_SERVING_ROLLOUT_LEASE: '1s' },
  });
  const model = `weather-${run}`.toLowerCase();
  for (const weights of [v1Model, v2Model]) {
    await registry.registerVersion({
      requestId: crypto.randomUUID(),
      modelName: model,
      artifactSource: { case: 'artifactBytes', value: exportLogisticRegressionOnnx(weights) },
      format: ArtifactFormat.ONNX,
    });
  }
  await registry.setAlias({ modelName: model, alias: 'champion', modelVersion: 1n });

  const replica = async (name: string) => {
    let httpAddress = '';
    const { service, inference, serving } = await startReplica(name, async (host, config) => {
      const wiring = await wireServing(host, config);
      httpAddress = wiring.httpAddress;
      return wiring;
    });
    /** The versions answering `count` requests to `deployment` ("error: <code>" for a failure). */
    const versions = (deployment: string, count: number, rows?: number[][]): Promise<string[]> =>
      Promise.all(
        Array.from({ length: count }, () =>
          inference.modelInfer(contentsRequest(deployment, rows)).then(
            (response) => response.modelVersion,
            (error: unknown) => `error: ${AppError.from(error).code}`,
          ),
        ),
      );
    /** The deployment as this replica's GetDeployment shows it, in protobuf JSON. */
    const spec = async (deployment: string) => {
      const got = await serving.getDeployment({ deploymentName: deployment });
      return toJson(DeploymentSchema, got.deployment!);
    };
    /** The `flywheel_serving_model_instances` gauge of `deployment`'s live version on this replica's /metrics. */
    const instances = async (deployment: string): Promise<number | undefined> => {
      const text = await (await fetch(`http://${httpAddress}/metrics`)).text();
      const line = text
        .split('\n')
        .find((row) => row.startsWith(`flywheel_serving_model_instances{model="${deployment}",`));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    return { service, inference, serving, versions, spec, instances };
  };
  return { model, replica };
}

/** Polls until every one of `count` requests is answered by `expected` (a version or "error: <code>"). */
async function untilServing(
  versions: () => Promise<string[]>,
  expected: string,
  what: string,
): Promise<void> {
  await waitFor(async () => (await versions()).every((version) => version === expected), {
    ...deadline,
    what,
  });
}

describe('serving replicas follow deployments changed through one another (real Kafka and MongoDB)', () => {
  it('serves on replica b what create, update, traffic split, rollback and delete did through replica a', {
    timeout: 300_000,
  }, async () => {
    const run = uniqueName('follow').replaceAll('.', '-');
    const { model, replica } = await startStack(run);
    const a = await replica('a');
    const b = await replica('b');

    // Create through a: b serves it.
    await a.serving.createDeployment({
      deployment: {
        name: 'pinned',
        target: { modelName: model, selector: { case: 'modelVersion', value: 1n } },
      },
    });
    await untilServing(() => b.versions('pinned', 4), '1', 'b serving the created deployment at v1');

    // Update through a: another version and a label that changes how requests are checked.
    const nan = [[Number.NaN, 5, 4.7]];
    expect(await b.versions('pinned', 1, nan)).toEqual(['error: invalid_argument']);
    await a.serving.updateDeployment({
      deployment: {
        name: 'pinned',
        description: 'pinned to v2, NaN allowed',
        labels: { 'serving.flywheel.dev/allow-non-finite': 'true' },
        target: { modelName: model, selector: { case: 'modelVersion', value: 2n } },
        runtime: { instanceCount: 2 },
      },
    });
    expect(await a.versions('pinned', 4)).toEqual(['2', '2', '2', '2']);
    await untilServing(() => b.versions('pinned', 4), '2', 'b serving the updated deployment at v2');
    await untilServing(() => b.versions('pinned', 1, nan), '2', 'b taking NaN as the updated labels allow');
    expect(await b.spec('pinned')).toEqual(await a.spec('pinned'));
    expect(await b.spec('pinned')).toMatchObject({ description: 'pinned to v2, NaN allowed' });

    // A traffic split through a: b routes both versions.
    await a.serving.setTrafficSplit({
      deploymentName: 'pinned',
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
    await waitFor(
      async () => {
        const seen = new Set(await b.versions('pinned', 32));
        return seen.has('1') && seen.has('2') && seen.size === 2;
      },
      { ...deadline, what: 'b routing the A/B split between v1 and v2' },
    );

    // Rollback through a of the split: b sends everything to the stable version again.
    await a.serving.rollback({ deploymentName: 'pinned', reason: 'split ended' });
    await untilServing(() => b.versions('pinned', 16), '2', 'b back on stable v2 after the rollback');

    // Rollback through a to another version, with no rollout in progress: b serves it too.
    await a.serving.rollback({ deploymentName: 'pinned', toVersion: 1n, reason: 'v2 misbehaves' });
    expect(await a.versions('pinned', 4)).toEqual(['1', '1', '1', '1']);
    await untilServing(() => b.versions('pinned', 4), '1', 'b serving v1 after the rollback to it');

    // Delete through a: b refuses the deployment too.
    await a.serving.deleteDeployment({ deploymentName: 'pinned' });
    await untilServing(
      () => b.versions('pinned', 2),
      'error: not_found',
      'b refusing the deleted deployment',
    );
    await expect(b.serving.getDeployment({ deploymentName: 'pinned' })).rejects.toMatchObject({
      code: 'not_found',
    });
    // A deployment created again under the deleted name serves its new target on b, with no leftover strategy.
    await a.serving.createDeployment({
      deployment: {
        name: 'pinned',
        target: { modelName: model, selector: { case: 'modelVersion', value: 2n } },
      },
    });
    await untilServing(() => b.versions('pinned', 16), '2', 'b serving the re-created deployment at v2');
  });

  it('runs the live version in the worker threads an UpdateDeployment asks for, on both replicas', {
    timeout: 300_000,
  }, async () => {
    const run = uniqueName('follow-instances').replaceAll('.', '-');
    const { model, replica } = await startStack(run);
    const a = await replica('a');
    const b = await replica('b');
    const pinned = (instanceCount: number) => ({
      deployment: {
        name: 'threads',
        target: { modelName: model, selector: { case: 'modelVersion' as const, value: 1n } },
        runtime: { instanceCount },
      },
    });
    await a.serving.createDeployment(pinned(1));
    await untilServing(() => b.versions('threads', 4), '1', 'b serving the created deployment at v1');
    expect(await a.instances('threads')).toBe(1);
    expect(await b.instances('threads')).toBe(1);

    // Same target, three instances: the running version is swapped for one with three worker
    // threads on a within the call, on b by following the store; no request fails meanwhile.
    let load = true;
    const answered: string[] = [];
    const background = (async () => {
      while (load) answered.push(...(await a.versions('threads', 4)), ...(await b.versions('threads', 4)));
    })();
    try {
      await a.serving.updateDeployment(pinned(3));
      expect(await a.instances('threads')).toBe(3);
      await waitFor(async () => (await b.instances('threads')) === 3, {
        ...deadline,
        what: 'b running the live version in 3 worker threads',
      });
    } finally {
      load = false;
      await background;
    }
    expect(answered.length).toBeGreaterThan(0);
    expect(new Set(answered)).toEqual(new Set(['1']));
    expect(await b.spec('threads')).toMatchObject({ runtime: { instanceCount: 3 }, stableVersion: '1' });
  });

  it('serves on a replica restarted after it was down what changed meanwhile', {
    timeout: 300_000,
  }, async () => {
    const run = uniqueName('follow-down').replaceAll('.', '-');
    const { model, replica } = await startStack(run);
    const a = await replica('a');
    let b = await replica('b');
    const pin = (name: string, version: bigint) => ({
      deployment: {
        name,
        target: { modelName: model, selector: { case: 'modelVersion' as const, value: version } },
      },
    });
    await a.serving.createDeployment(pin('kept', 1n));
    await a.serving.createDeployment(pin('dropped', 1n));
    await untilServing(() => b.versions('kept', 2), '1', 'b serving "kept"');
    await untilServing(() => b.versions('dropped', 2), '1', 'b serving "dropped"');

    await b.service.stop();
    await a.serving.updateDeployment(pin('kept', 2n));
    await a.serving.deleteDeployment({ deploymentName: 'dropped' });
    await a.serving.createDeployment(pin('added', 2n));

    b = await replica('b');
    await untilServing(() => b.versions('kept', 4), '2', 'restarted b serving the updated "kept" at v2');
    await untilServing(() => b.versions('dropped', 2), 'error: not_found', 'restarted b refusing "dropped"');
    await untilServing(() => b.versions('added', 4), '2', 'restarted b serving "added"');
  });
});
