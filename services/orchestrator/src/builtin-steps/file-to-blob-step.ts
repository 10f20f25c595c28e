import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { blobUri, isSha256 } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import { readOnnxSignature } from '@flywheel/ml';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/**
 * Built-in step `file-to-blob`: puts a local file a command step wrote (e.g. the `model_path` of
 * `examples/steps/train_sklearn.py`) into the shared blob store, streamed, so later steps and
 * services take it by digest. Content-addressed, so a retry stores nothing twice.
 *
 * | parameter | type    | meaning |
 * |-----------|---------|---------|
 * | `path`    | string  | absolute path of the file |
 * | `sha256`  | string? | the digest the producer computed; the stored blob must match it |
 * | `format`  | string? | `"onnx"`: also check that the file is an ONNX model |
 *
 * Outputs: `sha256`, `uri` (`blob:sha256:<hex>`), `size_bytes`.
 *
 * Throws invalid_argument for a relative path, a digest that does not match (naming
 * `parameters.sha256`; the stored copy stays, harmless as it is content-addressed), or a file that is
 * not ONNX when `format` is `"onnx"`; not_found when the file does not exist.
 */
export function createFileToBlobStep(deps: Pick<BuiltinStepDeps, 'blobs'>): BuiltinStep {
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const path = params.string('path');
    if (!isAbsolute(path))
      throw AppError.invalidArgument('parameters.path', `must be absolute, got "${path}"`);
    const expected = params.optionalString('sha256');
    if (expected !== undefined && !isSha256(expected)) {
      throw AppError.invalidArgument(
        'parameters.sha256',
        `must be 64 lower-case hex characters, got "${expected}"`,
      );
    }
    const format = params.optionalString('format');
    if (format !== undefined && format !== 'onnx') {
      throw AppError.invalidArgument('parameters.format', `must be "onnx" when set, got "${format}"`);
    }

    const file = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT')
        throw new AppError('not_found', `parameters.path: no file at ${path}`, { cause: error });
      throw error;
    });
    if (!file.isFile()) throw AppError.invalidArgument('parameters.path', `${path} is not a file`);
    const ref = await deps.blobs.put(createReadStream(path), { signal: ctx.signal });
    if (expected !== undefined && ref.sha256 !== expected) {
      throw AppError.invalidArgument(
        'parameters.sha256',
        `is ${expected}, but ${path} hashes to ${ref.sha256}`,
      );
    }
    if (format === 'onnx') {
      try {
        readOnnxSignature(await deps.blobs.getBytes(ref.sha256, { signal: ctx.signal }));
      } catch (error) {
        throw AppError.invalidArgument(
          'parameters.path',
          `${path} is not an ONNX model: ${AppError.from(error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    ctx.log.info('file stored as a blob', { path, sha256: ref.sha256, sizeBytes: ref.size });
    return { sha256: ref.sha256, uri: blobUri(ref.sha256), size_bytes: ref.size };
  };
}
