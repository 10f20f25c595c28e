import { AppError, messageOf, throwIfAborted } from '@flywheel/core';
import { whyNotATensor } from '@flywheel/ml';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type {
  Dim,
  ModelLoader,
  ModelRunner,
  ModelSignature,
  TensorSpec,
  TensorValue,
} from './model-runner.ts';
import { datatypeOfOrtType, infoOf, type TensorData } from './oip-datatypes.ts';

/**
 * Loads ONNX bytes into an onnxruntime session in this thread. The signature comes from the
 * session itself (what it will actually accept), symbolic dimensions included.
 *
 * @throws AppError invalid_argument (field "artifact") when onnxruntime rejects the bytes or an
 *   input/output is not a tensor of a type serving can carry (saying what it is and what to do).
 */
export const loadOnnxModel: ModelLoader = async (artifact, options) => {
  throwIfAborted(options.signal);
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(artifact, {
      // Fatal only: refused inputs are reported to the caller, not printed by the runtime.
      logSeverityLevel: 4,
      ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
      ...(options.interOpThreads > 0 ? { interOpNumThreads: options.interOpThreads } : {}),
    });
  } catch (error) {
    throw AppError.invalidArgument('artifact', `onnxruntime cannot load the model: ${messageOf(error)}`, {
      cause: error,
    });
  }
  let signature: ModelSignature;
  try {
    signature = {
      inputs: session.inputMetadata.map((value) => specOf(value, 'input', artifact)),
      outputs: session.outputMetadata.map((value) => specOf(value, 'output', artifact)),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
  return createOnnxRunner(session, signature);
};

function createOnnxRunner(session: InferenceSession, signature: ModelSignature): ModelRunner {
  let closed = false;
  return {
    signature,
    async run(inputs, outputs, options = {}) {
      if (closed) throw new AppError('failed_precondition', 'the model has been unloaded');
      throwIfAborted(options.signal);
      const feeds: Record<string, Tensor> = {};
      for (const [name, value] of inputs) feeds[name] = toOrtTensor(value);
      let result: InferenceSession.ReturnType;
      try {
        result = await session.run(feeds, [...outputs]);
      } catch (error) {
        throw AppError.invalidArgument(
          'inputs',
          `the model cannot run on these inputs: ${messageOf(error)}`,
          {
            cause: error,
          },
        );
      }
      const values = new Map<string, TensorValue>();
      for (const name of outputs) {
        const tensor = result[name];
        const datatype = tensor && datatypeOfOrtType(tensor.type);
        if (!tensor || !datatype) {
          throw new AppError(
            'internal',
            `the model returned no tensor "${name}" of a type serving can carry`,
          );
        }
        const data = datatype === 'FP16' ? halfBits(tensor.data) : (tensor.data as TensorData);
        values.set(name, { datatype, shape: tensor.dims.map(Number), data });
      }
      return values;
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

function toOrtTensor(value: TensorValue): Tensor {
  const type = infoOf(value.datatype).ortType;
  // One constructor overload per element type; the datatype table guarantees data matches type.
  const tensor = new Tensor(type as 'float32', value.data as Float32Array, [...value.shape]);
  // onnxruntime-common views FP16 Uint16Array data as a Float16Array where the runtime has one
  // (Node ≥ 23), whose byte length the native binding reads as 0 ("not enough space: expected 4,
  // got 0" — onnxruntime PR #32323). Hand the binding the Uint16Array it accepts instead.
  if (type === 'float16') (tensor as unknown as { cpuData: unknown }).cpuData = value.data;
  return tensor;
}

/** FP16 outputs come back as Float16Array where the runtime has one: serving carries their bits. */
function halfBits(data: unknown): TensorData {
  const view = data as Uint16Array;
  return view.constructor.name === 'Float16Array'
    ? new Uint16Array(view.buffer, view.byteOffset, view.length)
    : (data as TensorData);
}

function specOf(
  value: InferenceSession.ValueMetadata,
  kind: 'input' | 'output',
  artifact: Uint8Array,
): TensorSpec {
  if (!value.isTensor) throw AppError.invalidArgument('artifact', whyNotATensor(artifact, value.name, kind));
  const datatype = datatypeOfOrtType(value.type);
  if (!datatype) {
    throw AppError.invalidArgument(
      'artifact',
      `${kind} "${value.name}" has element type ${value.type}, which serving cannot carry over the Open Inference Protocol`,
    );
  }
  const shape: Dim[] = value.shape.map((dim) =>
    typeof dim === 'number' ? (Number.isInteger(dim) && dim >= 0 ? dim : '') : dim,
  );
  return { name: value.name, datatype, shape };
}
