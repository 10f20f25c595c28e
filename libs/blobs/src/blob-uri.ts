import { AppError } from '@flywheel/core';
import { isSha256 } from './sha256.ts';

const prefix = 'blob:sha256:';

/** The URI by which services pass a blob to each other: `blob:sha256:<64 hex>`. */
export function blobUri(sha256: string): string {
  return `${prefix}${sha256}`;
}

/** The sha256 a `blob:sha256:<hex>` URI names; `invalid_argument` (naming `field`) for anything else. */
export function parseBlobUri(uri: string, field = 'uri'): string {
  const sha256 = uri.startsWith(prefix) ? uri.slice(prefix.length) : '';
  if (!isSha256(sha256))
    throw AppError.invalidArgument(field, `must be blob:sha256:<64 lower-case hex>, got "${uri}"`);
  return sha256;
}
