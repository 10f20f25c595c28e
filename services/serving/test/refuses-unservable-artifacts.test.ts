import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOnnxModel, encodeOnnxModel, int64Tensor } from '@flywheel/ml';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { DeploymentState } from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { repoRoot, uniqueName, waitFor } from '@flywheel/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/runtime/onnx-runner.ts';
import { championDeployment, rejection, type Stack, startStack } from './serving-harness.ts';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';
const script = 'test/python/zipmap_classifier.py';

/** What a ZipMap refusal must say: the cause (a sequence of maps from ZipMap) and the fix. */
const zipMapCause =
  /output "output_probability" is a sequence of maps from int64 to float \(skl2onnx's ZipMap output\)/;
const fix = /options=\{id\(classifier\): \{'zipmap': False\}\}/;

/**
 * A model the registry accepts (it loads) that cannot run: it reshapes its [N, 1] input to [3],
 * which fails for the warm-up's single row. Serving refuses it before it takes traffic.
 */
const cannotRun = encodeOnnxModel(
  buildOnnxModel({
    graphName: 'reshape-to-three',
    inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 1] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [3] }],
    initializers: [int64Tensor('three', [1], [3])],
    nodes: [{ opType: 'Reshape', inputs: ['x', 'three'], outputs: ['y'] }],
  }),
);
const cause = /the model failed its warm-up run/;

async function registerBytes(stack: Stack, model: string, bytes: Uint8Array): Promise<bigint> {
  const { version } = await stack.registry.registerVersion({
    requestId: crypto.randomUUID(),
    modelName: model,
    artifactSource: { case: 'artifactBytes', value: bytes },
    format: ArtifactFormat.ONNX,
  });
  return version!.version;
}

describe('artifacts serving cannot serve', () => {
  let zipMap: Uint8Array;
  beforeAll(async () => {
    // A real skl2onnx conversion with its default ZipMap, as a user exports a classifier.
    const path = join(mkdtempSync(join(tmpdir(), 'flywheel-zipmap-')), 'zipmap.onnx');
    await run(python, [script, 'make', path], { cwd: repoRoot, timeout: 120_000 });
    zipMap = readFileSync(path);
  }, 180_000);

  it('never gets a ZipMap classifier: the registry refuses it with the cause and the fix, and so would serving', async () => {
    const stack = await startStack();
    const error = await rejection(
      stack.registry.registerVersion({
        requestId: crypto.randomUUID(),
        modelName: uniqueName('zipmap'),
        artifactSource: { case: 'artifactBytes', value: zipMap },
        format: ArtifactFormat.ONNX,
      }),
      'invalid_argument',
    );
    expect(error.message).toMatch(zipMapCause);
    expect(error.message).toMatch(fix);
    // Serving's own load refuses it the same way (a version registered before the registry checked).
    const loading = await loadOnnxModel(zipMap, { intraOpThreads: 1, interOpThreads: 1 }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(loading?.message).toMatch(zipMapCause);
    expect(loading?.message).toMatch(fix);
  });

  it('refuses CreateDeployment of a model that cannot run with FAILED_PRECONDITION and the cause', async () => {
    const stack = await startStack();
    const model = uniqueName('cannot-run');
    await stack.setAlias(model, 'champion', await registerBytes(stack, model, cannotRun));

    const error = await rejection(
      stack.serving.createDeployment({ deployment: championDeployment('classifier', model) }),
      'failed_precondition',
    );
    expect(error.message).toMatch(/deployment "classifier" not created: artifact of .* version 1/);
    expect(error.message).toMatch(cause);
    // Nothing was stored or served.
    await rejection(stack.serving.getDeployment({ deploymentName: 'classifier' }), 'not_found');
    await rejection(stack.inference.modelInfer({ modelName: 'classifier', inputs: [] }), 'not_found');
  });

  it('says a version refused after the deployment was accepted was refused, with its reason, not "not loaded yet"', async () => {
    const stack = await startStack();
    const model = uniqueName('cannot-run');
    // Accepted while there is nothing to load; the alias then moves to the version that cannot run.
    const { deployment } = await stack.serving.createDeployment({
      deployment: championDeployment('classifier', model),
    });
    expect(deployment?.state).toBe(DeploymentState.PENDING);
    await stack.setAlias(model, 'champion', await registerBytes(stack, model, cannotRun));

    const failed = await waitFor(
      async () => {
        const got = (await stack.serving.getDeployment({ deploymentName: 'classifier' })).deployment;
        return got?.state === DeploymentState.FAILED && got;
      },
      { what: 'the deployment failed by the refused version', timeoutMs: 60_000 },
    );
    expect(failed.stableVersion).toBe(0n);
    expect(failed.stateMessage).toMatch(cause);

    expect(await stack.inference.modelReady({ name: 'classifier' })).toMatchObject({ ready: false });
    for (const call of [
      stack.inference.modelInfer({ modelName: 'classifier', inputs: [] }),
      stack.inference.modelMetadata({ name: 'classifier' }),
      stack.inference.modelConfig({ name: 'classifier' }),
    ]) {
      const error = await rejection(call, 'failed_precondition');
      expect(error.message).toMatch(/model "classifier" serves no version: its version was refused/);
      expect(error.message).toMatch(cause);
      expect(error.message).not.toMatch(/loaded yet/);
    }
    const { models } = await stack.inference.repositoryIndex({});
    expect(models.find((entry) => entry.name === 'classifier')).toMatchObject({
      state: 'UNAVAILABLE',
      reason: expect.stringMatching(cause),
    });

    // tritonclient (Python, gRPC) sees the same answer.
    const { stdout } = await run(python, [script, 'infer', stack.servingService.address, 'classifier'], {
      cwd: repoRoot,
      timeout: 60_000,
    });
    const answer = JSON.parse(stdout) as { status: string; message: string };
    expect(answer.status).toBe('StatusCode.FAILED_PRECONDITION');
    expect(answer.message).toMatch(cause);
  });
});
