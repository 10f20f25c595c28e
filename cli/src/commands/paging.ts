/** Every item of a paged List RPC: calls `page(token)` until `nextPageToken` is empty (at most `limit` items). */
export async function allPages<T>(
  page: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
  limit = 10_000,
): Promise<T[]> {
  const items: T[] = [];
  let token = '';
  do {
    const answer = await page(token);
    items.push(...answer.items);
    token = answer.nextPageToken;
  } while (token && items.length < limit);
  return items.slice(0, limit);
}
