import { AppError } from '@flywheel/core';
import { S3Error } from 'minio';
import { describe, expect, it } from 'vitest';
import { s3Error } from './s3-errors.ts';

const target = { endpoint: 'http://127.0.0.1:9000', bucket: 'models', key: 'sha256/ab' };

function s3(code: string, message = 'server said no'): S3Error {
  const error = new S3Error(message);
  error.code = code;
  return error;
}

function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('s3Error', () => {
  it.each([
    ['NoSuchKey', 'not_found', false],
    ['NotFound', 'not_found', false],
    ['SignatureDoesNotMatch', 'unauthenticated', false],
    ['InvalidAccessKeyId', 'unauthenticated', false],
    ['XAdminUserNotFound', 'unauthenticated', false],
    ['AccessDenied', 'permission_denied', false],
    ['SlowDown', 'unavailable', true],
    ['InternalError', 'unavailable', true],
    ['XAmzContentSHA256Mismatch', 'unavailable', true],
    ['SomethingNew', 'unknown', false],
  ] as const)('maps S3 code %s to %s', (code, expected, retriable) => {
    const mapped = s3Error(s3(code), 'get', target);
    expect(mapped).toMatchObject({
      code: expected,
      retriable,
      details: { s3Code: code, bucket: 'models', key: 'sha256/ab' },
    });
    expect(mapped.message).toContain(`S3 get (bucket "models", key "sha256/ab"): ${code}`);
  });

  it('says what to check when credentials are refused', () => {
    expect(s3Error(s3('SignatureDoesNotMatch'), 'put', target).message).toContain(
      'check the access key and secret key',
    );
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE'])(
    'maps %s to unavailable, retriable',
    (code) => {
      expect(s3Error(errno(code), 'put', target)).toMatchObject({
        code: 'unavailable',
        retriable: true,
        details: { errno: code },
        message: expect.stringContaining('cannot reach http://127.0.0.1:9000'),
      });
    },
  );

  it('maps a response cut off mid-body to unavailable', () => {
    expect(s3Error(new Error('aborted'), 'get', target)).toMatchObject({ code: 'unavailable' });
  });

  it('lets an aborted signal decide, and passes AppErrors through', () => {
    const controller = new AbortController();
    controller.abort(new AppError('deadline_exceeded', 'late'));
    expect(s3Error(errno('ECONNRESET'), 'get', target, controller.signal)).toMatchObject({
      code: 'deadline_exceeded',
    });
    const own = new AppError('data_loss', 'bad');
    expect(s3Error(own, 'get', target)).toBe(own);
  });

  it('maps minio client-side validation errors to invalid_argument and the rest to internal', () => {
    const invalid = Object.assign(new Error('Invalid bucket name: X'), { name: 'InvalidBucketNameError' });
    expect(s3Error(invalid, 'list', target)).toMatchObject({ code: 'invalid_argument' });
    expect(s3Error(new TypeError('oops'), 'list', target)).toMatchObject({ code: 'internal' });
  });
});
