/**
 * Encoding ModelInfer's raw answer: @bufbuild/protobuf (`create` then `toBinary`, what the gRPC
 * kernel does for any answer) versus serving's direct wire writer (`encodeRawInferResponse`), on
 * the batch-1 answer of the weather model (two outputs, a request id). Alternating rounds, so both
 * sides see the same machine load; prints µs per answer and the ratio per round.
 * Usage: node bench/serving/infer-response-encoding-bench.ts [answers per round = 200000] [rounds = 5]
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelInferResponseSchema } from '@flywheel/proto/inference/grpc_service_pb.js';
import { encodeRawInferResponse } from '@flywheel/serving';
import { median } from './serving-stack.ts';

const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const probability = new Uint8Array(Float32Array.of(0.25).buffer);
const label = new Uint8Array(BigInt64Array.of(1n).buffer);
/** The answer as the handler builds it, fresh each time (as each request's is). */
const answer = (i: number) => ({
  modelName: 'latency',
  modelVersion: '1',
  id: `request-${i}`,
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [1n] },
    { name: 'probability', datatype: 'FP32', shape: [1n, 1n] },
  ],
  rawOutputContents: [label, probability],
});

const sides = {
  protobufEs: () => {
    for (let i = 0; i < count; i++) {
      const bytes = toBinary(ModelInferResponseSchema, create(ModelInferResponseSchema, answer(i)));
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  },
  direct: () => {
    for (let i = 0; i < count; i++) encodeRawInferResponse(answer(i));
  },
};
const µs: Record<keyof typeof sides, number[]> = { protobufEs: [], direct: [] };
const ratios: number[] = [];
sides.protobufEs();
sides.direct();
for (let round = 1; round <= rounds; round++) {
  for (const side of Object.keys(sides) as (keyof typeof sides)[]) {
    const started = performance.now();
    sides[side]();
    µs[side].push(((performance.now() - started) * 1000) / count);
  }
  ratios.push(µs.protobufEs.at(-1)! / µs.direct.at(-1)!);
  console.log(
    `round ${round}  @bufbuild/protobuf ${µs.protobufEs.at(-1)!.toFixed(2)} µs  direct ${µs.direct.at(-1)!.toFixed(2)} µs  ${ratios.at(-1)!.toFixed(2)}×`,
  );
}
console.log(
  `\nmedians: @bufbuild/protobuf ${median(µs.protobufEs).toFixed(2)} µs, direct ${median(µs.direct).toFixed(2)} µs per answer: direct is ${median(ratios).toFixed(2)}× faster (answers include building the answer object, ~2 µs)`,
);
