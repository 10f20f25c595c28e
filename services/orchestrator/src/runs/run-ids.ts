import { createHash } from 'node:crypto';

/** A fresh run id (a random UUID). */
export function newRunId(): string {
  return crypto.randomUUID();
}

/**
 * The run id an idempotency key stands for: a UUID-shaped digest of `parts`, so that a retried
 * request finds the run its first attempt created with a single compare-and-set create.
 */
export function runIdFor(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
