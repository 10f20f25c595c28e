import { AppError, type CallOptions, isAppError } from '@flywheel/core';
import type { Collection, Doc, OutboxEntry } from '@flywheel/store';

/** What an update writes: the next data and the events that announce it. */
export interface DocumentChange<T> {
  readonly data: T;
  readonly outbox?: readonly OutboxEntry[];
}

const maxAttempts = 20;

/**
 * Read-modify-write of one document under optimistic concurrency: `change` gets the current
 * document (undefined when absent) and returns the next data with its outbox, or undefined to
 * write nothing. A concurrent writer makes the write fail its version check; then the document is
 * read again and `change` runs again (so it must be a pure function of what it is given). Resolves
 * the written document, or undefined when nothing was written. Throws `aborted` after 20 lost races.
 */
export async function updateDocument<T extends object>(
  collection: Collection<T>,
  id: string,
  change: (current: Doc<T> | undefined) => DocumentChange<T> | undefined,
  options: CallOptions = {},
): Promise<Doc<T> | undefined> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await collection.get(id, options);
    const next = change(current);
    if (next === undefined) return undefined;
    try {
      return await collection.put(id, next.data, {
        ...options,
        expectedVersion: current?.version ?? 0,
        ...(next.outbox ? { outbox: next.outbox } : {}),
      });
    } catch (error) {
      if (
        isAppError(error, 'aborted') ||
        isAppError(error, 'already_exists') ||
        isAppError(error, 'not_found')
      )
        continue;
      throw error;
    }
  }
  throw new AppError('aborted', `${collection.name}/${id} is being changed concurrently; try again`);
}
