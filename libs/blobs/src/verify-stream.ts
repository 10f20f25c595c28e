import { createHash } from 'node:crypto';
import { AppError } from '@flywheel/core';

/** What a blob's bytes must match. */
export interface Expected {
  sha256: string;
  /** When the store recorded it; else only the digest is checked. */
  size?: number;
}

/**
 * Passes `chunks` through while hashing and counting them, and holds the last chunk back until the
 * whole content matches `expected`: a consumer that buffers never receives every byte of a damaged
 * blob, it gets a `data_loss` AppError instead. `what` names the blob in the error message.
 */
export async function* verifyStream(
  chunks: AsyncIterable<Uint8Array>,
  expected: Expected,
  what: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = createHash('sha256');
  let size = 0;
  let held: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (chunk.byteLength === 0) continue;
    hash.update(chunk);
    size += chunk.byteLength;
    if (expected.size !== undefined && size > expected.size) {
      throw dataLoss(what, `has more bytes than the ${expected.size} recorded`, expected);
    }
    if (held) yield held;
    held = chunk;
  }
  if (expected.size !== undefined && size !== expected.size) {
    throw dataLoss(what, `is truncated: ${size} of ${expected.size} bytes`, expected);
  }
  const actual = hash.digest('hex');
  if (actual !== expected.sha256) {
    throw dataLoss(what, `does not match its digest: read ${size} bytes hashing to ${actual}`, expected);
  }
  if (held) yield held;
}

function dataLoss(what: string, problem: string, expected: Expected): AppError {
  return new AppError('data_loss', `${what} ${problem}; it is damaged and is not served`, {
    details: { sha256: expected.sha256 },
  });
}
