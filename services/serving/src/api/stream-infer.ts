import type { MessageInitShape } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import type {
  ModelInferRequest,
  ModelStreamInferResponseSchema,
} from '@flywheel/proto/inference/grpc_service_pb.js';
import type { Infer } from '../inference/infer.ts';

/** Requests of one stream being computed at once; further messages are read once one is answered. */
export const streamDepth = 64;

type StreamAnswer = MessageInitShape<typeof ModelStreamInferResponseSchema>;

/**
 * ModelStreamInfer as Triton answers it for a model that is not decoupled: one response per
 * request, in the order of the requests, each through the same path as ModelInfer (routing,
 * batching, statistics, logging). Requests are computed concurrently, up to {@link streamDepth}
 * at once, so a client that sends without waiting gets the batcher's concurrency. A request that
 * fails is answered in its place with `error_message` and the stream goes on; the stream itself
 * ends with a status only when a message is refused before inference (authentication,
 * authorization, the principal limit, an undecodable message) — after the answers already due.
 */
export async function* streamInfer(
  infer: Infer,
  requests: AsyncIterable<ModelInferRequest>,
  signal: AbortSignal,
): AsyncIterable<StreamAnswer> {
  const iterator = requests[Symbol.asyncIterator]();
  const answers: Promise<StreamAnswer>[] = [];
  let next: Promise<IteratorResult<ModelInferRequest>> | undefined = iterator.next();
  let refused: unknown;
  const answer = (request: ModelInferRequest): Promise<StreamAnswer> =>
    infer(request, { signal }).then(
      (inferResponse) => ({ inferResponse }),
      (error: unknown) => ({ errorMessage: AppError.from(error).message }),
    );
  try {
    while (next !== undefined || answers.length > 0) {
      if (next !== undefined && answers.length < streamDepth) {
        const reading = next;
        const head = answers[0];
        const arrived = await Promise.race([
          reading.then(
            (result) => ({ read: result }) as const,
            (error: unknown) => ({ failed: error }) as const,
          ),
          ...(head ? [head.then(() => ({ answered: true }) as const)] : []),
        ]);
        if ('read' in arrived) {
          if (arrived.read.done) next = undefined;
          else {
            answers.push(answer(arrived.read.value));
            next = iterator.next();
          }
          continue;
        }
        if ('failed' in arrived) {
          refused = arrived.failed;
          next = undefined;
          continue;
        }
      }
      yield await answers.shift()!;
    }
  } finally {
    if (next !== undefined) void iterator.return?.();
  }
  if (refused !== undefined) throw refused;
}
