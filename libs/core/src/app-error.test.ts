import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode, type ErrorCodeName, isAppError } from './app-error.ts';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

describe('AppError', () => {
  it.each([
    ['unavailable', true],
    ['deadline_exceeded', true],
    ['aborted', true],
    ['resource_exhausted', true],
    ['internal', false],
    ['invalid_argument', false],
    ['not_found', false],
  ] as const)('%s is retriable by default: %s', (code, retriable) => {
    expect(new AppError(code, 'x').retriable).toBe(retriable);
  });

  it('lets the caller override retriable, and carries cause, field and details', () => {
    const cause = new Error('root');
    const error = new AppError('unavailable', 'down', {
      retriable: false,
      cause,
      field: 'f',
      details: { a: 'b' },
    });
    expect(error).toMatchObject({ code: 'unavailable', retriable: false, field: 'f', details: { a: 'b' } });
    expect(error.cause).toBe(cause);
    expect(error.status).toBe(14);
    expect(error.name).toBe('AppError');
    expect(new AppError('internal', 'x').details).toEqual({});
    expect('cause' in new AppError('internal', 'x')).toBe(false);
  });

  it('invalidArgument names the field in the message and in `field`', () => {
    const error = AppError.invalidArgument('inputs[0].shape', 'must have 2 dimensions', { retriable: true });
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toBe('inputs[0].shape: must have 2 dimensions');
    expect(error.field).toBe('inputs[0].shape');
    expect(error.retriable).toBe(true);
  });

  it('codeOf maps every gRPC status number to its code, and unknown numbers to unknown', () => {
    for (const [name, status] of Object.entries(ErrorCode)) {
      expect(AppError.codeOf(status)).toBe(name as ErrorCodeName);
      expect(new AppError(name as ErrorCodeName, 'x').status).toBe(status);
    }
    for (const status of [0, 17, -1, 2.5, 1000]) expect(AppError.codeOf(status)).toBe('unknown');
  });
});

describe('AppError.from', () => {
  it('passes an AppError through', () => {
    const error = new AppError('not_found', 'gone');
    expect(AppError.from(error)).toBe(error);
  });

  it('turns a TimeoutError into deadline_exceeded', () => {
    const thrown = named('TimeoutError', 'too slow');
    const error = AppError.from(thrown);
    expect(error).toMatchObject({ code: 'deadline_exceeded', message: 'too slow', retriable: true });
    expect(error.cause).toBe(thrown);
  });

  it('turns an AbortError into cancelled, or into the AppError that is its cause', () => {
    const plain = named('AbortError', 'aborted');
    expect(AppError.from(plain)).toMatchObject({ code: 'cancelled', message: 'aborted' });
    expect(AppError.from(plain).cause).toBe(plain);
    const reason = new AppError('deadline_exceeded', 'deadline of 5 ms exceeded');
    expect(AppError.from(named('AbortError', 'aborted', { cause: reason }))).toBe(reason);
  });

  it('turns any other Error into internal with the original as cause', () => {
    const thrown = new TypeError('boom');
    const error = AppError.from(thrown);
    expect(error).toMatchObject({ code: 'internal', message: 'boom', retriable: false });
    expect(error.cause).toBe(thrown);
  });

  it.each([
    ['MongoServerError', 2],
    ['MongoServerError', 11],
    ['MongoServerError', 13],
    ['MongoServerError', 16],
    ['ServiceError', 14],
  ])('does not read a gRPC status from the numeric .code of a %s (code %i): internal', (name, code) => {
    const thrown = named(name, 'driver failure', { code, details: 'not a status' });
    const error = AppError.from(thrown);
    expect(error.code).toBe('internal');
    expect(error.message).toBe('driver failure');
    expect(error.cause).toBe(thrown);
  });

  it('does not mistake a Node system error (string code) for anything but internal', () => {
    expect(AppError.from(named('Error', 'ENOENT: no such file', { code: 'ENOENT' })).code).toBe('internal');
  });

  it.each([['a string'], [42], [undefined], [null], [{ code: 13 }]])(
    'turns the non-error %o into internal',
    (thrown) => {
      const error = AppError.from(thrown);
      expect(error.code).toBe('internal');
      expect(error.message).toBe(`non-error thrown: ${String(thrown)}`);
      expect(error.cause).toBe(thrown);
    },
  );
});

describe('isAppError', () => {
  it.each([
    [new AppError('not_found', 'x'), undefined, true],
    [new AppError('not_found', 'x'), 'not_found', true],
    [new AppError('not_found', 'x'), 'internal', false],
    [new Error('x'), undefined, false],
    ['x', undefined, false],
  ] as const)('isAppError(%o, %s) is %s', (thrown, code, expected) => {
    expect(isAppError(thrown, code)).toBe(expected);
  });
});
