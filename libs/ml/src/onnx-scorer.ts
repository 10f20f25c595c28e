import { AppError, messageOf, throwIfAborted } from '@flywheel/core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { FeatureRow } from './feature-matrix.ts';
import { type OnnxTensorInfo, readOnnxSignature } from './onnx-model.ts';

/** Scores named feature rows with an ONNX model in onnxruntime. */
export interface OnnxScorer {
  /** The model's inputs, one per feature, in graph order. */
  readonly featureNames: readonly string[];
  /** The output read as the score. */
  readonly outputName: string;
  /**
   * One score per row (the output's value, e.g. P(class 1)), in row order.
   *
   * @throws AppError invalid_argument (field `rows[i].<feature>`) for a missing or non-finite value;
   *   invalid_argument (field "model") when onnxruntime fails to run the model; cancelled /
   *   deadline_exceeded when `signal` aborts (checked between batches: a running batch finishes);
   *   failed_precondition after close().
   */
  score(rows: readonly FeatureRow[], options?: { signal?: AbortSignal }): Promise<number[]>;
  /** Releases the onnxruntime session. Idempotent. */
  close(): Promise<void>;
}

export interface OnnxScorerOptions {
  /** Output to read; default "probability" when the model has it, else its only output. */
  outputName?: string;
  /** Rows per onnxruntime call, bounding memory; default 8192. */
  batchSize?: number;
  /** onnxruntime intra-op threads; default onnxruntime's own choice. */
  intraOpNumThreads?: number;
}

/**
 * Loads ONNX bytes into an onnxruntime session for scoring rows of named features. The model must take
 * one FP32 input per feature, shaped [N, 1] or [N] (as `exportLogisticRegressionOnnx` writes),
 * and have a float output with one value per row.
 *
 * @throws AppError invalid_argument (field "model") when the bytes are not ONNX, the inputs or output
 *   do not fit the above, or onnxruntime rejects the model (its message is kept).
 */
export async function createOnnxScorer(
  model: Uint8Array,
  options: OnnxScorerOptions = {},
): Promise<OnnxScorer> {
  const batchSize = options.batchSize ?? 8192;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw AppError.invalidArgument('batchSize', `must be an integer ≥ 1, got ${batchSize}`);
  }
  const signature = readOnnxSignature(model);
  const inputs = signature.inputs.map(checkFeatureInput);
  const outputName = pickOutput(signature.outputs, options.outputName);

  let session: InferenceSession;
  try {
    session = await InferenceSession.create(model, {
      logSeverityLevel: 3,
      ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    });
  } catch (error) {
    throw AppError.invalidArgument('model', `onnxruntime rejected the model: ${messageOf(error)}`, {
      cause: error,
    });
  }

  let closed = false;
  return {
    featureNames: inputs.map((input) => input.name),
    outputName,
    async score(rows, scoreOptions = {}) {
      if (closed) throw new AppError('failed_precondition', 'the scorer is closed');
      const columns = inputs.map((input) => featureColumn(rows, input.name));
      const scores: number[] = [];
      for (let start = 0; start < rows.length; start += batchSize) {
        throwIfAborted(scoreOptions.signal);
        const end = Math.min(rows.length, start + batchSize);
        const feeds: Record<string, Tensor> = {};
        inputs.forEach((input, k) => {
          const dims = input.rank === 2 ? [end - start, 1] : [end - start];
          feeds[input.name] = new Tensor('float32', columns[k]!.subarray(start, end), dims);
        });
        let output: Tensor | undefined;
        try {
          output = (await session.run(feeds, [outputName]))[outputName];
        } catch (error) {
          throw AppError.invalidArgument(
            'model',
            `onnxruntime failed to run the model: ${messageOf(error)}`,
            {
              cause: error,
            },
          );
        }
        if (output === undefined || output.size !== end - start || typeof output.data[0] !== 'number') {
          throw AppError.invalidArgument(
            'model',
            `output "${outputName}" must hold one float per row; got ${output?.type ?? 'nothing'} [${output?.dims.join(', ') ?? ''}] for ${end - start} rows`,
          );
        }
        for (const value of output.data as Float32Array | Float64Array) scores.push(value);
      }
      return scores;
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

interface FeatureInput {
  name: string;
  rank: 1 | 2;
}

function checkFeatureInput(input: OnnxTensorInfo): FeatureInput {
  const shape = input.shape;
  const fits =
    input.datatype === 'FP32' &&
    shape !== undefined &&
    (shape.length === 1 || (shape.length === 2 && (shape[1] === 1 || shape[1] === -1)));
  if (!fits) {
    throw AppError.invalidArgument(
      'model',
      `input "${input.name}" is ${input.datatype} [${shape?.join(', ') ?? '?'}]; the scorer feeds one FP32 [N, 1] column per feature`,
    );
  }
  return { name: input.name, rank: shape.length === 1 ? 1 : 2 };
}

function pickOutput(outputs: readonly OnnxTensorInfo[], requested: string | undefined): string {
  const names = outputs.map((output) => output.name);
  const name =
    requested ?? (names.includes('probability') ? 'probability' : names.length === 1 ? names[0] : undefined);
  const output = outputs.find((candidate) => candidate.name === name);
  if (output === undefined) {
    throw AppError.invalidArgument(
      'model',
      requested === undefined
        ? `has outputs [${names.join(', ')}]; pass outputName to choose the score`
        : `has no output "${requested}" (outputs: ${names.join(', ')})`,
    );
  }
  if (output.datatype !== 'FP32' && output.datatype !== 'FP64') {
    throw AppError.invalidArgument(
      'model',
      `output "${output.name}" is ${output.datatype}; a score must be FP32 or FP64`,
    );
  }
  return output.name;
}

function featureColumn(rows: readonly FeatureRow[], feature: string): Float32Array {
  const column = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    const value = row[feature];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw AppError.invalidArgument(
        `rows[${i}].${feature}`,
        value === undefined ? 'missing' : `must be a finite number, got ${String(value)}`,
      );
    }
    column[i] = value;
  });
  return column;
}
