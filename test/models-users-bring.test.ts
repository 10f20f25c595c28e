// The models users bring, as they export them: a scikit-learn pipeline with one-hot encoding of a
// string column, a random forest, gradient boosting and an MLP (skl2onnx), XGBoost and LightGBM
// (onnxmltools), built in Python (FLYWHEEL_PYTHON). Each registers with the real registry, which
// loads it and records the signature its graph has — compared with what Python's `onnx` reads —
// and a classifier left with skl2onnx's ZipMap is refused saying how to convert it.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMemoryBus } from '@flywheel/bus';
import { AppError } from '@flywheel/core';
import { ArtifactFormat, RegistryService } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { loadRegistryConfig, wireRegistry } from '@flywheel/registry';
import { createRpcClient, type RpcClient } from '@flywheel/rpc';
import { type InProcessService, startInProcess } from '@flywheel/runtime/testing';
import { repoRoot } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
}
type Manifest = Record<string, { file: string; inputs?: Tensor[]; outputs?: Tensor[] }>;

const brought = ['onehot-pipeline', 'random-forest', 'gradient-boosting', 'mlp', 'xgboost', 'lightgbm'];

describe('models users bring', () => {
  let manifest: Manifest;
  let registry: InProcessService;
  let client: RpcClient<(typeof RegistryService)['method']>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-brought-'));
    const { stdout } = await run(python, ['test/python/models_users_bring.py', 'make', dir], {
      cwd: repoRoot,
      timeout: 240_000,
    });
    manifest = JSON.parse(stdout) as Manifest;
    registry = await startInProcess('registry', {
      load: loadRegistryConfig,
      wire: wireRegistry,
      shared: { bus: createMemoryBus() },
    });
    client = createRpcClient(RegistryService, { address: registry.address, defaultTimeoutMs: 60_000 });
  }, 300_000);

  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  it.each(brought)('registers %s and records the signature its graph has', async (name) => {
    const entry = manifest[name]!;
    const bytes = readFileSync(entry.file);
    const { version, created } = await client.registerVersion({
      requestId: `brought/${name}`,
      modelName: name,
      artifactSource: { case: 'artifactBytes', value: bytes },
      format: ArtifactFormat.ONNX,
    });
    expect(created).toBe(true);
    const recorded = (tensors: { name: string; datatype: string; shape: bigint[] }[] = []) =>
      tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) }));
    expect(recorded(version?.signature?.inputs)).toEqual(entry.inputs);
    expect(recorded(version?.signature?.outputs)).toEqual(entry.outputs);
    // What a client sends that agrees is accepted; one that disagrees is refused naming the field.
    const wrong = entry.inputs!.map((t, i) => ({
      name: t.name,
      datatype: i === 0 ? (t.datatype === 'FP32' ? 'FP64' : 'FP32') : t.datatype,
      shape: t.shape.map(BigInt),
    }));
    const refused = await client
      .registerVersion({
        requestId: `brought/${name}/wrong`,
        modelName: name,
        artifactSource: { case: 'artifactBytes', value: bytes },
        format: ArtifactFormat.ONNX,
        signature: { inputs: wrong, outputs: version!.signature!.outputs },
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'invalid_argument', field: 'signature.inputs[0].datatype' });
  });

  it('refuses a classifier exported with ZipMap, saying to convert with zipmap False', async () => {
    const refused = await client
      .registerVersion({
        requestId: 'brought/zipmap',
        modelName: 'zipmap',
        artifactSource: { case: 'artifactBytes', value: readFileSync(manifest.zipmap!.file) },
        format: ArtifactFormat.ONNX,
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'invalid_argument', field: 'artifact_bytes' });
    const message = (refused as Error).message;
    expect(message).toMatch(/output "output_probability" is a sequence of maps .*ZipMap/);
    expect(message).toMatch(/options=\{'zipmap': False\}/);
  });
});
