import { AppError, isAppError, messageOf } from '@flywheel/core';
import { InferenceSession } from 'onnxruntime-node';
import { type OnnxSignature, readOnnxSignature } from './onnx-model.ts';

/**
 * Checks that `bytes` are an ONNX model Flywheel can serve and answers its signature, read from the
 * graph: the protobuf must parse, every input and output must be a tensor of an Open Inference
 * Protocol datatype (a ZipMap output is refused saying how to convert without it), and
 * onnxruntime must load it — parsing alone misses unknown operators and inconsistent graphs.
 *
 * @param field the request field the bytes came in, named by the refusal.
 * @throws AppError invalid_argument naming `field`, with the parse or load error.
 */
export async function checkOnnxArtifact(bytes: Uint8Array, field: string): Promise<OnnxSignature> {
  let signature: OnnxSignature;
  try {
    signature = readOnnxSignature(bytes);
  } catch (error) {
    if (!isAppError(error, 'invalid_argument')) throw error;
    // The reader names its own field "model"; the caller's field replaces it.
    const detail = error.message.replace(/^model: (not an ONNX model: )?/, '');
    throw AppError.invalidArgument(field, `not a loadable ONNX model: ${detail}`, {
      cause: error,
    });
  }
  let session: InferenceSession;
  try {
    // Fatal only: the refusal is reported to the caller, not printed by the runtime.
    session = await InferenceSession.create(bytes, { logSeverityLevel: 4, intraOpNumThreads: 1 });
  } catch (error) {
    throw AppError.invalidArgument(field, `not a loadable ONNX model: onnxruntime: ${messageOf(error)}`, {
      cause: error,
    });
  }
  await session.release();
  return signature;
}
