import { AppError } from '@flywheel/core';

/** What the caller of one method should hear when its answer is too big: the request field that makes it big, and what to do instead. */
export interface AnswerSizeHint {
  /** The request field to shrink, snake_case as in the .proto; the error's `field`. */
  readonly field: string;
  /** What to do instead, e.g. "ask for fewer entity keys per call". */
  readonly instead: string;
}

export interface AnswerTooLarge {
  /** `package.Service/Method`, when known; the message starts with it. */
  readonly rpc?: string;
  /** The answer's size, bytes, or a bound on it ("at least 5000"). */
  readonly bytes: number | string;
  readonly maxBytes: number;
  /** The setting that sets `maxBytes`, named in the message. */
  readonly setting?: string;
  readonly hint?: AnswerSizeHint;
}

/**
 * The error for an answer over the message limit: `resource_exhausted`, not retriable (the same
 * request gives the same answer), naming the RPC, the size, the limit (and its setting), and, with
 * a hint, the request field that makes it big and what to do instead. `details.maxMessageBytes`
 * carries the limit.
 */
export function answerTooLarge({ rpc, bytes, maxBytes, setting, hint }: AnswerTooLarge): AppError {
  const subject = [rpc, hint?.field].filter((part) => part !== undefined).join(': ');
  const limit = `the ${maxBytes}-byte message limit${setting === undefined ? '' : ` (${setting})`}`;
  return new AppError(
    'resource_exhausted',
    `${subject ? `${subject}: ` : ''}the answer would be ${bytes} bytes, over ${limit}; ${hint?.instead ?? 'ask for less per call'}`,
    {
      ...(hint ? { field: hint.field } : {}),
      retriable: false,
      details: { maxMessageBytes: String(maxBytes) },
    },
  );
}
