import type { BlobStore } from '@flywheel/blobs';
import { AppError, isAppError } from '@flywheel/core';
import { readModel, readVersion } from '../records/read-model.ts';
import type { RegistryCollections, VersionRecord } from '../records/registry-records.ts';

/** Largest chunk sent in one message, bytes. */
const maxChunkBytes = 1024 * 1024;

/** One message of a download: the artifact (first message only), the offset and bytes from there. */
export interface DownloadPart {
  artifact?: VersionRecord['artifact'];
  offset: number;
  chunk: Uint8Array;
}

/**
 * DownloadArtifact: a version's artifact from `offset` on, in chunks of at most 1 MiB, read from
 * the blob store and verified against its sha256 as it streams (a damaged blob ends the stream
 * with `data_loss` before its last bytes). The first message carries format, sha256 and size.
 * Throws `not_found` for an unknown model or version, `out_of_range` for an offset past the end.
 */
export function createDownloadArtifact(deps: { collections: RegistryCollections; blobs: BlobStore }) {
  const { collections, blobs } = deps;
  return async function* downloadArtifact(
    input: { modelName: string; version: number; offset: number },
    signal: AbortSignal,
  ): AsyncGenerator<DownloadPart> {
    const model = await readModel(collections, input.modelName, signal);
    const { artifact } = (await readVersion(collections, model, input.version, signal)).data;
    if (input.offset > artifact.sizeBytes) {
      throw new AppError(
        'out_of_range',
        `offset: ${input.offset} is past the end of the ${artifact.sizeBytes}-byte artifact`,
        { field: 'offset' },
      );
    }
    let first = true;
    let position = 0;
    try {
      for await (const block of blobs.get(artifact.sha256, { signal })) {
        const start = Math.max(0, input.offset - position);
        for (let at = start; at < block.byteLength; at += maxChunkBytes) {
          const chunk = block.subarray(at, Math.min(block.byteLength, at + maxChunkBytes));
          yield { ...(first ? { artifact } : {}), offset: position + at, chunk };
          first = false;
        }
        position += block.byteLength;
      }
    } catch (thrown) {
      if (!isAppError(thrown, 'not_found')) throw thrown;
      throw new AppError(
        'data_loss',
        `the artifact ${artifact.sha256} of model "${model.id}" version ${input.version} is missing from the blob store`,
        { cause: thrown },
      );
    }
    if (first) yield { artifact, offset: input.offset, chunk: new Uint8Array(0) };
  };
}
