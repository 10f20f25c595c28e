import { AppError } from '@flywheel/core';

/** Page size when a request leaves it 0. */
export const defaultPageSize = 50;
/** The largest page served, whatever the request asks. */
export const maxPageSize = 500;

/** The page size to serve for a request's `page_size` (0 = default, capped). */
export function pageSizeOf(requested: number): number {
  return requested <= 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

/**
 * An opaque page token holding where the next page starts (`after`) and a tag of the query it
 * belongs to, so a token is not silently reused with a different filter.
 */
export function encodePageToken(query: string, after: string | number): string {
  return Buffer.from(JSON.stringify({ q: query, a: after })).toString('base64url');
}

/**
 * Where the page of `token` starts; undefined for the first page (empty token). Throws
 * `invalid_argument` naming `page_token` for a token this query did not issue.
 */
export function decodePageToken<K extends 'string' | 'number'>(
  token: string,
  query: string,
  kind: K,
): (K extends 'string' ? string : number) | undefined {
  if (token === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { q, a } = (parsed ?? {}) as { q?: unknown; a?: unknown };
  if (q !== query || typeof a !== kind) {
    throw AppError.invalidArgument(
      'page_token',
      'is not a token returned by this query; start again without it',
    );
  }
  return a as K extends 'string' ? string : number;
}
