import { AppError } from '@flywheel/core';

const sha256Pattern = /^[0-9a-f]{64}$/;

/** True for a lower-case hex sha256 digest (64 characters), the only form a blob is named by. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && sha256Pattern.test(value);
}

/** Throws `invalid_argument` naming `field` unless `value` is a lower-case hex sha256 digest. */
export function assertSha256(value: unknown, field = 'sha256'): asserts value is string {
  if (isSha256(value)) return;
  const shown =
    typeof value === 'string'
      ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
      : typeof value;
  throw AppError.invalidArgument(
    field,
    `must be 64 lower-case hex characters (a sha256 digest), got ${shown}`,
  );
}
