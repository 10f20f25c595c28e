import { createHash } from 'node:crypto';
import { AppError } from '@flywheel/core';

/** What a blob's bytes must match. */
export interface Expected {
  sha256: string;
  /** When the store recorded it; else only the digest is checked. */
  size?: number;
}

/**
 * How much of the end of a blob is held back until its digest is checked: at least the last chunk
 * and whatever precedes it within this many bytes. A blob this small is handed out only whole and
 * verified, however the transport splits it (TLS records cut a body into ~16 KiB pieces or less).
 */
const holdBackBytes = 64 * 1024;

/**
 * Passes `chunks` through while hashing and counting them, and holds the last chunks (at least
 * {@link holdBackBytes}) back until the whole content matches `expected`: a consumer that buffers
 * never receives every byte of a damaged blob, and one of a small blob receives none of it; it
 * gets a `data_loss` AppError instead. `what` names the blob in the error message.
 */
export async function* verifyStream(
  chunks: AsyncIterable<Uint8Array>,
  expected: Expected,
  what: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = createHash('sha256');
  let size = 0;
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  for await (const chunk of chunks) {
    if (chunk.byteLength === 0) continue;
    hash.update(chunk);
    size += chunk.byteLength;
    if (expected.size !== undefined && size > expected.size) {
      throw dataLoss(what, `has more bytes than the ${expected.size} recorded`, expected);
    }
    held.push(chunk);
    heldBytes += chunk.byteLength;
    // At most one chunk out per chunk in: every next() reads the source, so a cancelled read stops
    // at once, and what is held stays below holdBackBytes plus the largest chunk.
    if (held.length > 1 && heldBytes - held[0]!.byteLength >= holdBackBytes) {
      const first = held.shift()!;
      heldBytes -= first.byteLength;
      yield first;
    }
  }
  if (expected.size !== undefined && size !== expected.size) {
    throw dataLoss(what, `is truncated: ${size} of ${expected.size} bytes`, expected);
  }
  const actual = hash.digest('hex');
  if (actual !== expected.sha256) {
    throw dataLoss(what, `does not match its digest: read ${size} bytes hashing to ${actual}`, expected);
  }
  yield* held;
}

function dataLoss(what: string, problem: string, expected: Expected): AppError {
  return new AppError('data_loss', `${what} ${problem}; it is damaged and is not served`, {
    details: { sha256: expected.sha256 },
  });
}
