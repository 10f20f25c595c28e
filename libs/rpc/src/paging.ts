import { AppError } from '@flywheel/core';

/** Page size when a List request gives 0. */
export const defaultPageSize = 50;
/** The largest page served, whatever the request asks. */
export const maxPageSize = 1000;

/** The page size to serve for a request's `page_size`: 0 (or less) → default, capped at `max`. */
export function pageSizeOf(requested: number, max = maxPageSize): number {
  return requested <= 0 ? defaultPageSize : Math.min(requested, max);
}

/**
 * An opaque `page_token`: where the next page starts (`after`: an offset, an id, a number) and a
 * tag of the query it belongs to, so a token is never silently reused with another filter.
 */
export function encodePageToken(after: string | number, query = ''): string {
  return Buffer.from(JSON.stringify({ q: query, a: after })).toString('base64url');
}

/**
 * Where the page of `token` starts, of the given kind; undefined for the first page (empty token).
 * Throws `invalid_argument` naming `page_token` for a token this query did not issue.
 */
export function decodePageToken<K extends 'string' | 'number'>(
  token: string,
  kind: K,
  query = '',
): (K extends 'string' ? string : number) | undefined {
  if (token === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { q, a } = (parsed ?? {}) as { q?: unknown; a?: unknown };
  const valid =
    q === query &&
    typeof a === kind &&
    (kind === 'string' || (Number.isSafeInteger(a) && (a as number) >= 0));
  if (!valid)
    throw AppError.invalidArgument(
      'page_token',
      'is not a token returned by this query; start again without it',
    );
  return a as K extends 'string' ? string : number;
}

/** One page of `items` (already filtered and ordered) by offset, and the token of the next ('' on the last page). */
export function pageOf<T>(
  items: readonly T[],
  request: { pageSize: number; pageToken: string },
  options: { query?: string; maxPageSize?: number } = {},
): { page: T[]; nextPageToken: string } {
  const size = pageSizeOf(request.pageSize, options.maxPageSize);
  const offset = decodePageToken(request.pageToken, 'number', options.query) ?? 0;
  const page = items.slice(offset, offset + size);
  const next = offset + page.length;
  return { page, nextPageToken: next < items.length ? encodePageToken(next, options.query) : '' };
}
