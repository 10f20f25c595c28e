import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOnnxModel, encodeOnnxModel } from '@flywheel/ml';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { repoRoot } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { artifactBytes, rejection, sha256Hex, startRegistry } from './registry-harness.ts';

const run = promisify(execFile);
const python = process.env.FLYWHEEL_PYTHON ?? 'python3';

const weather = {
  inputs: [
    { name: 'temp_max', datatype: 'FP32', shape: [-1n, 1n] },
    { name: 'station', datatype: 'BYTES', shape: [-1n, 1n] },
  ],
  outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1n, 2n] }],
};

function register(bytes: Uint8Array, extra: object = {}) {
  return {
    requestId: crypto.randomUUID(),
    modelName: 'weather',
    artifactSource: { case: 'artifactBytes' as const, value: bytes },
    format: ArtifactFormat.ONNX,
    ...extra,
  };
}

describe('registration reads the signature from the artifact', () => {
  it('records the graph’s inputs, outputs, datatypes and shapes (-1 dynamic) when the client sends none', async () => {
    const { client } = await startRegistry();
    const { version } = await client.registerVersion(register(artifactBytes('v1', weather)));
    expect(version?.signature).toMatchObject(weather);
    const { version: got } = await client.getVersion({ modelName: 'weather', modelVersion: 1n });
    expect(got?.signature).toMatchObject(weather);
  });

  it('accepts a client signature that agrees with the graph, in any order', async () => {
    const { client } = await startRegistry();
    const sent = { inputs: [...weather.inputs].reverse(), outputs: weather.outputs };
    const { version } = await client.registerVersion(
      register(artifactBytes('v1', weather), { signature: sent }),
    );
    // The graph's order is recorded.
    expect(version?.signature?.inputs.map((t) => t.name)).toEqual(['temp_max', 'station']);
  });

  it('refuses a client signature that disagrees, naming the field', async () => {
    const { client, blobs } = await startRegistry();
    const bytes = artifactBytes('v1', weather);
    const cases: [object, string, RegExp][] = [
      [
        { inputs: [{ ...weather.inputs[0], datatype: 'FP64' }, weather.inputs[1]], outputs: weather.outputs },
        'signature.inputs[0].datatype',
        /input "temp_max" is FP32 in the model, not FP64/,
      ],
      [
        { inputs: weather.inputs, outputs: [{ ...weather.outputs[0], shape: [-1n, 1n] }] },
        'signature.outputs[0].shape',
        /output "probability" has shape \[-1, 2\] in the model/,
      ],
      [
        { inputs: weather.inputs, outputs: [{ ...weather.outputs[0], name: 'label' }] },
        'signature.outputs[0].name',
        /the model has no output "label" \(its outputs: "probability"\)/,
      ],
      [
        { inputs: [weather.inputs[0]], outputs: weather.outputs },
        'signature.inputs',
        /leaves out the model's input "station"/,
      ],
    ];
    for (const [signature, field, message] of cases) {
      const error = await rejection(
        client.registerVersion(register(bytes, { signature })),
        'invalid_argument',
        field,
      );
      expect(error.message).toMatch(message);
    }
    // Refused bytes are not stored, and no version was made.
    expect(await blobs.stat(sha256Hex(bytes))).toBeUndefined();
    await rejection(client.getModel({ modelName: 'weather' }), 'not_found');
  });

  it('refuses bytes that are not ONNX, truncated, or that onnxruntime cannot load, naming the artifact field', async () => {
    const { client } = await startRegistry();
    const real = artifactBytes('v1', weather);
    const unknownOperator = encodeOnnxModel(
      buildOnnxModel({
        graphName: 'odd',
        inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 1] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: ['N', 1] }],
        nodes: [{ opType: 'NoSuchOperator', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const cases: [Uint8Array, RegExp][] = [
      [new TextEncoder().encode('a pickle, not an ONNX model'), /not a loadable ONNX model/],
      [real.subarray(0, real.length - 7), /not a loadable ONNX model/],
      [unknownOperator, /not a loadable ONNX model: onnxruntime: .*NoSuchOperator/],
    ];
    for (const [bytes, message] of cases) {
      const error = await rejection(
        client.registerVersion(register(bytes)),
        'invalid_argument',
        'artifact_bytes',
      );
      expect(error.message).toMatch(message);
    }
    // The same check for an artifact uploaded first, naming artifact_sha256.
    const garbage = new TextEncoder().encode('not onnx either');
    const { blob } = await client.uploadArtifact(
      (async function* () {
        yield { chunk: garbage, sha256: '' };
      })(),
    );
    const error = await rejection(
      client.registerVersion({
        requestId: 'by-digest',
        modelName: 'weather',
        artifactSource: { case: 'artifactSha256', value: blob!.sha256 },
        format: ArtifactFormat.ONNX,
      }),
      'invalid_argument',
      'artifact_sha256',
    );
    expect(error.message).toMatch(/not a loadable ONNX model/);
  });

  it('refuses a skl2onnx classifier with ZipMap, saying to convert with zipmap False', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'flywheel-zipmap-')), 'zipmap.onnx');
    await run(python, ['test/python/zipmap_classifier.py', 'make', path], {
      cwd: repoRoot,
      timeout: 120_000,
    });
    const { client } = await startRegistry();
    const error = await rejection(
      client.registerVersion(register(readFileSync(path))),
      'invalid_argument',
      'artifact_bytes',
    );
    expect(error.message).toMatch(/output "output_probability" is a sequence of maps from int64 to float/);
    expect(error.message).toMatch(/options=\{'zipmap': False\}/);
  }, 180_000);
});
