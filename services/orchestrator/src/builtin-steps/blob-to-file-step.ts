import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseBlobUri } from '@flywheel/blobs';
import { AppError } from '@flywheel/core';
import type { BuiltinStepDeps } from './builtin-step-deps.ts';
import { stepParameters } from './step-parameters.ts';
import type { BuiltinStep } from './step-types.ts';

/** Default root of the files `blob-to-file` writes. */
export const defaultStepFilesDir = join(tmpdir(), 'flywheel-step-files');

/**
 * Built-in step `blob-to-file`: copies a blob (verified against its digest while streaming) to a
 * local file, for a command step that reads files — e.g. a training set for
 * `examples/steps/train_sklearn.py`. The file is `<filesDir>/<run id>/<step name>/<file_name>`,
 * written under a temporary name and renamed, so a reader never sees a partial file; a retry
 * rewrites it.
 *
 * | parameter   | type    | meaning |
 * |-------------|---------|---------|
 * | `uri`       | string  | `blob:sha256:<hex>` |
 * | `file_name` | string? | the file's name (no directories); default the digest |
 *
 * Outputs: `path` (absolute), `sha256`, `size_bytes`.
 *
 * Throws invalid_argument for a malformed URI or file name, not_found / data_loss from the blob store.
 */
export function createBlobToFileStep(deps: Pick<BuiltinStepDeps, 'blobs' | 'filesDir'>): BuiltinStep {
  const root = deps.filesDir ?? defaultStepFilesDir;
  return async (ctx) => {
    const params = stepParameters(ctx.parameters);
    const sha256 = parseBlobUri(params.string('uri'), 'parameters.uri');
    const fileName = params.optionalString('file_name') ?? sha256;
    if (basename(fileName) !== fileName || fileName === '.' || fileName === '..') {
      throw AppError.invalidArgument('parameters.file_name', `must be a plain file name, got "${fileName}"`);
    }
    const dir = join(root, safeSegment(ctx.runId), safeSegment(ctx.stepName));
    await mkdir(dir, { recursive: true });
    const path = join(dir, fileName);
    const partial = `${path}.${ctx.attempt}.partial`;
    try {
      await pipeline(
        Readable.from(deps.blobs.get(sha256, { signal: ctx.signal })),
        createWriteStream(partial),
        { signal: ctx.signal },
      );
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw ctx.signal.aborted ? AppError.from(ctx.signal.reason ?? error) : AppError.from(error);
    }
    const stat = await deps.blobs.stat(sha256, { signal: ctx.signal });
    ctx.log.info('blob written to a file', { sha256, path });
    return { path, sha256, size_bytes: stat?.size ?? 0 };
  };
}

/** A run id or step name as one directory name. */
function safeSegment(name: string): string {
  return name.replaceAll(/[^A-Za-z0-9._-]/g, '_');
}
