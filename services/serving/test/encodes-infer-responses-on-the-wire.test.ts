import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { ModelInferResponseSchema } from '@flywheel/proto/inference/grpc_service_pb.js';
import { describe, expect, it } from 'vitest';
import { encodeRawInferResponse } from '../src/api/infer-response-wire.ts';

type ResponseInit = MessageInitShape<typeof ModelInferResponseSchema>;

const bytesOf = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** Answers as serving builds them for raw requests, and the corners of the wire format. */
const responses: [string, ResponseInit][] = [
  [
    'one FP32 output at batch 1',
    {
      modelName: 'weather',
      modelVersion: '3',
      id: '6f1c2a4e-0b8d-4c47-9f51-2a7e0d1b9c33',
      outputs: [{ name: 'probability', datatype: 'FP32', shape: [1n, 1n] }],
      rawOutputContents: [Float32Array.of(0.25).buffer].map((b) => new Uint8Array(b)),
    },
  ],
  [
    'several outputs, a BYTES one, a long id and raw contents over 127 and 16 383 bytes (multi-byte lengths)',
    {
      modelName: 'm',
      modelVersion: '12',
      id: 'x'.repeat(300),
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [64n] },
        { name: 'scores', datatype: 'FP32', shape: [64n, 40n] },
        { name: 'text', datatype: 'BYTES', shape: [2n] },
      ],
      rawOutputContents: [bytesOf(512), bytesOf(64 * 40 * 4, 3), bytesOf(20_000, 1)],
    },
  ],
  [
    'empty strings left out, an empty raw entry kept, a scalar (no shape), big and negative dimensions',
    {
      modelName: 'm',
      modelVersion: '',
      id: '',
      outputs: [
        { name: 'scalar', datatype: 'FP64', shape: [] },
        { name: 'big', datatype: 'UINT8', shape: [0n, 300n, 70_000n, 2n ** 40n] },
        { name: 'dynamic', datatype: 'FP32', shape: [-1n, 3n] },
        { name: '', datatype: '', shape: [] },
      ],
      rawOutputContents: [new Uint8Array(0), bytesOf(3), bytesOf(0)],
    },
  ],
  [
    'names outside ASCII',
    {
      modelName: 'météo-天気',
      modelVersion: '1',
      id: 'req-ü',
      outputs: [{ name: 'wahrscheinlichkeit-ß', datatype: 'FP32', shape: [2n] }],
      rawOutputContents: [bytesOf(8)],
    },
  ],
  ['nothing but the model name', { modelName: 'm' }],
];

describe('the raw ModelInferResponse wire encoding', () => {
  it.each(responses)('writes the same bytes as @bufbuild/protobuf: %s', (_, response) => {
    const expected = toBinary(ModelInferResponseSchema, create(ModelInferResponseSchema, response));
    const written = encodeRawInferResponse(response);
    expect(written).toBeDefined();
    expect(Buffer.from(written!).equals(Buffer.from(expected))).toBe(true);
    // And it decodes back to the message it was written from.
    expect(fromBinary(ModelInferResponseSchema, new Uint8Array(written!))).toEqual(
      create(ModelInferResponseSchema, response),
    );
  });

  it('leaves answers with typed contents or parameters to @bufbuild/protobuf', () => {
    expect(
      encodeRawInferResponse({
        modelName: 'm',
        outputs: [{ name: 'p', datatype: 'FP32', shape: [1n], contents: { fp32Contents: [0.5] } }],
      }),
    ).toBeUndefined();
    expect(
      encodeRawInferResponse({
        modelName: 'm',
        parameters: { sequence_id: { parameterChoice: { case: 'int64Param', value: 1n } } },
      }),
    ).toBeUndefined();
    expect(
      encodeRawInferResponse({
        modelName: 'm',
        outputs: [
          {
            name: 'p',
            datatype: 'FP32',
            shape: [1n],
            parameters: { binary_data: { parameterChoice: { case: 'boolParam', value: true } } },
          },
        ],
      }),
    ).toBeUndefined();
    expect(encodeRawInferResponse(create(ModelInferResponseSchema, { modelName: 'm' }))).toBeUndefined();
  });
});
