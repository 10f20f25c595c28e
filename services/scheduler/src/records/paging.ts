import { AppError, type CallOptions } from '@flywheel/core';
import { decodePageToken, encodePageToken, pageSizeOf } from '@flywheel/rpc';
import type { Collection, FieldCondition, FindCursor, Scalar } from '@flywheel/store';

/** Most documents a scan that is not a List RPC reads (the document store's find limit). */
export const maxListed = 10_000;

export interface KeysetPageOptions<T> extends CallOptions {
  /** Names the list and its filter: a token of another query is refused. */
  query: string;
  /** Indexed field to order by (then id); default the id (the name). */
  sortBy?: keyof T & string;
  descending?: boolean;
  /** Where the first page starts (exclusive), e.g. an end time for a newest-first list. */
  start?: FindCursor;
  /** The first record (in order) that is past the range: it and all after it are not listed. */
  beyond?: (record: T) => boolean;
}

/**
 * One page of a list, as ONE keyset query of `page_size + 1` documents from the store however many
 * match: `page_token` holds the sort position (value, id) of the previous page's last document.
 * Page size as `pageSizeOf` (default 50, at most 1000). Throws `invalid_argument` naming
 * `page_token` for a token this query did not issue.
 */
export async function keysetPage<T extends object>(
  collection: Collection<T>,
  filter: Readonly<Record<string, FieldCondition>>,
  request: { pageSize: number; pageToken: string },
  options: KeysetPageOptions<T>,
): Promise<{ page: T[]; nextPageToken: string }> {
  const { query, sortBy, descending, start, beyond, ...call } = options;
  const size = pageSizeOf(request.pageSize);
  const cursor = cursorOf(request.pageToken, query);
  // By id, the position is the id alone.
  const after = cursor && !sortBy ? { id: cursor.id } : (cursor ?? start);
  const found = await collection.find(filter, {
    ...call,
    limit: size + 1,
    ...(sortBy ? { sortBy } : {}),
    ...(descending ? { descending } : {}),
    ...(after ? { after } : {}),
  });
  const end = beyond ? found.findIndex((doc) => beyond(doc.data)) : -1;
  const within = end < 0 ? found : found.slice(0, end);
  const page = within.slice(0, size);
  const last = page.at(-1);
  const more = within.length > size && last !== undefined;
  const position = last && sortBy ? ((last.data as Record<string, unknown>)[sortBy] as Scalar) : null;
  return {
    page: page.map((doc) => doc.data),
    nextPageToken: more ? encodePageToken(JSON.stringify([position ?? null, last.id]), query) : '',
  };
}

function cursorOf(token: string, query: string): FindCursor | undefined {
  const text = decodePageToken(token, 'string', query);
  if (text === undefined) return undefined;
  let position: unknown;
  try {
    position = JSON.parse(text);
  } catch {
    position = undefined;
  }
  if (!Array.isArray(position) || position.length !== 2 || typeof position[1] !== 'string') {
    throw AppError.invalidArgument(
      'page_token',
      'is not a token returned by this query; start again without it',
    );
  }
  return { value: position[0] as Scalar | null, id: position[1] };
}
