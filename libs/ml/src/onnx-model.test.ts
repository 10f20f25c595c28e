import { isAppError } from '@flywheel/core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  buildOnnxModel,
  decodeOnnxModel,
  encodeOnnxModel,
  floatTensor,
  int64Tensor,
  intsAttribute,
  type OnnxModelSpec,
  oipDatatypeOf,
  onnxElemTypeOf,
  readOnnxSignature,
  tensorAttribute,
} from './onnx-model.ts';

/** y = (x + bias) · 2 (the 2 from a Constant node's tensor attribute), and rows = the batch size. */
const affineSpec: OnnxModelSpec = {
  graphName: 'affine',
  inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', 2] }],
  outputs: [
    { name: 'y', datatype: 'FP32', shape: ['N', 2] },
    { name: 'rows', datatype: 'INT64', shape: [1] },
  ],
  initializers: [
    floatTensor('bias', [2], [1, -1]),
    int64Tensor('shape', [2], [-1, 2]),
    int64Tensor('zero', [1], [0]),
    int64Tensor('one', [1], [1]),
  ],
  nodes: [
    { opType: 'Add', inputs: ['x', 'bias'], outputs: ['shifted'] },
    {
      opType: 'Constant',
      inputs: [],
      outputs: ['two'],
      attributes: [tensorAttribute('value', floatTensor('two_value', [], [2]))],
    },
    { opType: 'Mul', inputs: ['shifted', 'two'], outputs: ['scaled'] },
    { opType: 'Reshape', inputs: ['scaled', 'shape'], outputs: ['y'] },
    { opType: 'Shape', inputs: ['x'], outputs: ['x_shape'] },
    { opType: 'Slice', inputs: ['x_shape', 'zero', 'one'], outputs: ['rows'] },
  ],
  metadata: { owner: 'team-a' },
};

function invalidField(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    if (isAppError(error, 'invalid_argument')) return error.field;
    throw error;
  }
  return undefined;
}

describe('buildOnnxModel', () => {
  it('writes a model onnxruntime loads and runs, with symbolic batch dims and attributes', async () => {
    const bytes = encodeOnnxModel(buildOnnxModel(affineSpec));
    const session = await InferenceSession.create(bytes);
    try {
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y', 'rows']);
      const x = new Tensor('float32', Float32Array.from([0, 0, 1, 2, -3, 4]), [3, 2]);
      const result = await session.run({ x });
      expect(Array.from(result.y!.data as Float32Array)).toEqual([2, -2, 4, 2, -4, 6]);
      expect(result.y!.dims).toEqual([3, 2]);
      expect(Array.from(result.rows!.data as BigInt64Array)).toEqual([3n]);
    } finally {
      await session.release();
    }
  });

  it('writes the upstream field numbers: ir_version first, as field 1', () => {
    const bytes = encodeOnnxModel(buildOnnxModel(affineSpec));
    // Tag (1 << 3 | varint) = 0x08, value 8: every ONNX reader's first check.
    expect(Array.from(bytes.subarray(0, 2))).toEqual([0x08, 0x08]);
  });

  it('rejects a graph that is not wired, naming the spec field', () => {
    const base = { graphName: 'g', inputs: affineSpec.inputs, outputs: [affineSpec.outputs[0]!] };
    expect(
      invalidField(() =>
        buildOnnxModel({ ...base, nodes: [{ opType: 'Relu', inputs: ['nope'], outputs: ['y'] }] }),
      ),
    ).toBe('nodes[0].inputs[0]');
    expect(
      invalidField(() =>
        buildOnnxModel({ ...base, nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['x'] }] }),
      ),
    ).toBe('nodes[0].outputs[0]');
    expect(
      invalidField(() =>
        buildOnnxModel({ ...base, nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['z'] }] }),
      ),
    ).toBe('outputs[0].name');
    expect(
      invalidField(() =>
        buildOnnxModel({
          ...base,
          inputs: [{ name: 'x', datatype: 'FP32', shape: ['N', -2] }],
          nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'] }],
        }),
      ),
    ).toBe('inputs[0].shape[1]');
  });

  it('checks tensor sizes and integer values', () => {
    expect(invalidField(() => floatTensor('w', [2, 3], [1, 2, 3]))).toBe('w');
    expect(invalidField(() => int64Tensor('i', [2], [1, 1.5]))).toBe('i[1]');
    expect(intsAttribute('perm', [1, 0]).ints).toEqual([1n, 0n]);
  });
});

describe('readOnnxSignature', () => {
  it('returns inputs and outputs with OIP datatypes and -1 for dynamic dimensions', () => {
    const signature = readOnnxSignature(encodeOnnxModel(buildOnnxModel(affineSpec)));
    expect(signature).toEqual({
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      producerName: 'flywheel',
      producerVersion: '',
      graphName: 'affine',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [-1, 2] },
        { name: 'rows', datatype: 'INT64', shape: [1] },
      ],
      metadata: { owner: 'team-a' },
    });
  });

  it('leaves out inputs that are initializers (defaults) and reports an open rank as undefined', () => {
    const model = buildOnnxModel(affineSpec);
    const graph = model.graph!;
    // Old exporters list weights among the inputs; they are not something a caller feeds.
    const biasInput = structuredClone(graph.input[0]!);
    biasInput.name = 'bias';
    graph.input.push(biasInput);
    const y = graph.output[0]!;
    if (y.type?.value.case === 'tensorType') y.type.value.value.shape = undefined;
    const signature = readOnnxSignature(model);
    expect(signature.inputs.map((input) => input.name)).toEqual(['x']);
    expect(signature.outputs[0]).toEqual({ name: 'y', datatype: 'FP32', shape: undefined });
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(invalidField(() => readOnnxSignature(new TextEncoder().encode('definitely not protobuf')))).toBe(
      'model',
    );
    expect(invalidField(() => readOnnxSignature(new Uint8Array()))).toBe('model');
  });

  it('maps element types both ways', () => {
    expect(onnxElemTypeOf('FP32')).toBe(1);
    expect(onnxElemTypeOf('INT64')).toBe(7);
    expect(onnxElemTypeOf('BYTES')).toBe(8);
    expect(oipDatatypeOf(11)).toBe('FP64');
    expect(oipDatatypeOf(17)).toBeUndefined(); // FLOAT8E4M3FN has no OIP datatype
  });
});

describe('decodeOnnxModel', () => {
  it('keeps fields outside the subset, so a read-write round trip loses nothing', () => {
    const bytes = encodeOnnxModel(buildOnnxModel(affineSpec));
    // ModelProto.functions (field 25, length-delimited), which this subset does not declare.
    const unknownField = [(25 << 3) | 2, 0x01, 3, 0x0a, 0x01, 0x66];
    const extended = new Uint8Array([...bytes, ...unknownField]);
    expect(encodeOnnxModel(decodeOnnxModel(extended))).toEqual(extended);
  });
});
