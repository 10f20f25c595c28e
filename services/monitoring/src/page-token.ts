import { AppError } from '@flywheel/core';

/** Page size when a request gives 0, and the most one page holds. */
export const defaultPageSize = 50;
export const maxPageSize = 500;

/** The page size to serve for a requested one (0 → default, capped). */
export function pageSizeOf(requested: number): number {
  return requested <= 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

/** An opaque token for the page starting at `offset`. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

/** The offset a token stands for; '' is 0. Throws `invalid_argument` on `page_token` for a token this service did not issue. */
export function decodePageToken(token: string): number {
  if (token === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (parsed as { o?: unknown }).o;
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw AppError.invalidArgument('page_token', 'is not a token from a previous page of this list');
}

/** One page of `items` from a token, with the next token ('' on the last page). */
export function pageOf<T>(
  items: readonly T[],
  pageToken: string,
  pageSize: number,
): { page: T[]; next: string } {
  const offset = decodePageToken(pageToken);
  const size = pageSizeOf(pageSize);
  const page = items.slice(offset, offset + size);
  return { page, next: offset + size < items.length ? encodePageToken(offset + size) : '' };
}
