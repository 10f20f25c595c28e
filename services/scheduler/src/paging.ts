import { AppError } from '@flywheel/core';

/** Page size when the request says 0. */
export const defaultPageSize = 50;
/** Largest page served, whatever the request asks. */
export const maxPageSize = 1000;
/** Most items a list scans (the document store's find limit): older ones are not listed. */
export const maxListed = 10_000;

/**
 * One page of `items` (already filtered and ordered) and the token of the next, empty on the last
 * page. Tokens are opaque offsets; a token that does not decode is `invalid_argument` naming
 * `page_token`.
 */
export function pageOf<T>(
  items: readonly T[],
  pageSize: number,
  pageToken: string,
): { page: T[]; nextPageToken: string } {
  const size = Math.min(pageSize > 0 ? pageSize : defaultPageSize, maxPageSize);
  const offset = decodeToken(pageToken);
  const page = items.slice(offset, offset + size);
  const next = offset + page.length;
  return { page, nextPageToken: next < items.length ? encodeToken(next) : '' };
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

function decodeToken(token: string): number {
  if (token === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (parsed as { o?: unknown }).o;
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // falls through to the error below
  }
  throw AppError.invalidArgument('page_token', 'is not a token this service returned');
}
