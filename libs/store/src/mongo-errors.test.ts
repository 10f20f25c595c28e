import { AppError } from '@flywheel/core';
import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { fromMongoError } from './mongo-errors.ts';

function serverError(code: number, message: string): MongoServerError {
  return new MongoServerError({ message, errmsg: message, code });
}

describe('fromMongoError', () => {
  it.each([
    [2, 'BadValue', 'internal'],
    [11, 'UserNotFound', 'internal'],
    [13, 'Unauthorized', 'internal'],
    [16, 'InvalidLength', 'internal'],
    [14, 'TypeMismatch', 'internal'],
    [11000, 'duplicate key', 'already_exists'],
    [50, 'MaxTimeMSExpired', 'deadline_exceeded'],
    [91, 'ShutdownInProgress', 'unavailable'],
    [10334, 'BSONObjectTooLarge', 'invalid_argument'],
  ])('maps server code %i (%s) to %s, never reading it as a gRPC status', (code, message, expected) => {
    const thrown = serverError(code, message);
    const error = fromMongoError(thrown, 'insert');
    expect(error.code).toBe(expected);
    expect(error.message).toBe(`mongo store: insert: ${message}`);
    expect(error.cause).toBe(thrown);
  });

  it('maps a Mongo-like error from outside the driver (numeric code 13) to internal, not unauthenticated', () => {
    const thrown = Object.assign(new Error('not authorized on db'), { name: 'MongoServerError', code: 13 });
    const error = fromMongoError(thrown, 'find');
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('internal');
  });
});
