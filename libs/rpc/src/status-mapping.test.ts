import { AppError } from '@flywheel/core';
import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromGrpcError, toGrpcStatus } from './status-mapping.ts';

/** What grpc-js rejects a failed call with: an Error carrying the status code, details and trailers. */
function serviceError(code: number, details: string, trailers: Record<string, string> = {}): Error {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

describe('fromGrpcError', () => {
  it.each([
    [status.CANCELLED, 'cancelled'],
    [status.INVALID_ARGUMENT, 'invalid_argument'],
    [status.DEADLINE_EXCEEDED, 'deadline_exceeded'],
    [status.NOT_FOUND, 'not_found'],
    [status.INTERNAL, 'internal'],
    [status.UNAVAILABLE, 'unavailable'],
    [status.UNAUTHENTICATED, 'unauthenticated'],
    [99, 'unknown'],
  ])('decodes status %i as %s, the details as the message', (code, name) => {
    const thrown = serviceError(code, 'what the server said');
    const error = fromGrpcError(thrown, 'Registry/GetModel');
    expect(error).toMatchObject({ code: name, message: 'what the server said' });
    expect(error.cause).toBe(thrown);
  });

  it('names the method when the status has no details', () => {
    expect(fromGrpcError(serviceError(status.UNAVAILABLE, ''), 'Registry/GetModel').message).toBe(
      'Registry/GetModel failed',
    );
  });

  it('round-trips an AppError through its status and trailers: field and retriable survive', () => {
    const sent = new AppError('invalid_argument', 'name: must not be empty', {
      field: 'name',
      retriable: true,
    });
    const { code, details, metadata } = toGrpcStatus(sent);
    const received = fromGrpcError(
      Object.assign(new Error(details), { code, details, metadata }),
      'Registry/CreateModel',
    );
    expect(received).toMatchObject({
      code: 'invalid_argument',
      message: 'name: must not be empty',
      field: 'name',
      retriable: true,
    });
  });

  it('takes retriable from the trailer over the code default', () => {
    const error = fromGrpcError(
      serviceError(status.UNAVAILABLE, 'closed for good', { 'flywheel-retriable': 'false' }),
      'm',
    );
    expect(error).toMatchObject({ code: 'unavailable', retriable: false });
  });

  it('hands anything without a numeric status to AppError.from', () => {
    const timeout = Object.assign(new Error('too slow'), { name: 'TimeoutError' });
    expect(fromGrpcError(timeout, 'm').code).toBe('deadline_exceeded');
    const system = Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' });
    expect(fromGrpcError(system, 'm').code).toBe('internal');
    expect(fromGrpcError('odd', 'm').code).toBe('internal');
  });
});

describe('AppError.from leaves numeric .code alone (gRPC statuses are decoded only here)', () => {
  it('a Mongo-like server error with code 13 (Unauthorized) is internal, not unauthenticated', () => {
    const thrown = Object.assign(new Error('not authorized'), { name: 'MongoServerError', code: 13 });
    expect(AppError.from(thrown).code).toBe('internal');
    // The same number from a gRPC call is a status: only the rpc client decodes it.
    expect(fromGrpcError(serviceError(13, 'internal'), 'm').code).toBe('internal');
    expect(fromGrpcError(serviceError(16, 'who are you'), 'm').code).toBe('unauthenticated');
  });
});
