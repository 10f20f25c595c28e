import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, encodeOnnxModel, readOnnxSignature } from '../src/index.ts';

// Written by the reference implementation, the Python `onnx` package (fixtures/written-by-python-onnx.py).
const bytes = new Uint8Array(
  readFileSync(new URL('./fixtures/written-by-python-onnx.onnx', import.meta.url)),
);

describe('a model written by the Python onnx package', () => {
  it('reads its signature: initializers are not inputs, symbolic and unknown dims are -1', () => {
    expect(readOnnxSignature(bytes)).toEqual({
      irVersion: 10,
      opsetImports: [{ domain: '', version: 21 }],
      producerName: 'onnx-python',
      producerVersion: '1.23.2',
      graphName: 'written_by_python',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [-1, 1] },
        { name: 'logit64', datatype: 'FP64', shape: [-1, -1] },
      ],
      metadata: { source: 'python onnx' },
    });
  });

  it('decodes raw_data initializers and re-encodes without losing fields outside the subset', () => {
    const model = decodeOnnxModel(bytes);
    const weights = model.graph!.initializer.find((tensor) => tensor.name === 'W')!;
    expect(weights.dims).toEqual([3n, 1n]);
    expect(Array.from(new Float32Array(weights.rawData.slice().buffer))).toEqual([0.5, -1, 2]);
    expect(model.graph!.node[0]!.docString).toBe('weights');
    const reencoded = encodeOnnxModel(model);
    expect(decodeOnnxModel(reencoded)).toEqual(model);
    // NodeProto.metadata_props (IR 10) is not in the subset but survives as an unknown field.
    expect(Buffer.from(reencoded).includes('IR 10 node metadata')).toBe(true);
    // Only the proto3 encoding of an empty opset domain differs: upstream writes it, proto3 leaves it out.
    expect(bytes.length - reencoded.length).toBe(2);
  });

  it('runs in onnxruntime after our round trip', async () => {
    const session = await InferenceSession.create(encodeOnnxModel(decodeOnnxModel(bytes)));
    try {
      const x = new Tensor('float32', Float32Array.from([1, 1, 1, 0, 0, 0]), [2, 3]);
      const { probability, logit64 } = await session.run({ x });
      expect(Array.from(logit64!.data as Float64Array)).toEqual([1.75, 0.25]);
      const p = probability!.data as Float32Array;
      expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1.75)), 6);
      expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-0.25)), 6);
    } finally {
      await session.release();
    }
  });
});
