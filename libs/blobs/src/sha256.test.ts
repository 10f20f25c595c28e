import { describe, expect, it } from 'vitest';
import { assertSha256, isSha256 } from './sha256.ts';

describe('sha256 digests', () => {
  it('accepts exactly 64 lower-case hex characters', () => {
    expect(isSha256('0123456789abcdef'.repeat(4))).toBe(true);
    expect(isSha256('0123456789ABCDEF'.repeat(4))).toBe(false);
    expect(isSha256('a'.repeat(63))).toBe(false);
    expect(isSha256(`${'a'.repeat(64)}\n`)).toBe(false);
    expect(isSha256(42)).toBe(false);
  });

  it('names the field and shows the bad value, shortened', () => {
    expect(() => assertSha256('x'.repeat(200), 'artifact.sha256')).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        field: 'artifact.sha256',
        message: expect.stringContaining('…'),
      }),
    );
  });
});
