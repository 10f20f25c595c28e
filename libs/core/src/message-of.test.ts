import { expect, it } from 'vitest';
import { AppError } from './app-error.ts';
import { messageOf } from './message-of.ts';

it.each([
  [new Error('boom'), 'boom'],
  [new AppError('internal', 'app boom'), 'app boom'],
  ['plain string', 'plain string'],
  [42, '42'],
  [undefined, 'undefined'],
  [null, 'null'],
  [{ message: 'not an Error' }, '[object Object]'],
])('messageOf(%o) is %o', (thrown, message) => {
  expect(messageOf(thrown)).toBe(message);
});
