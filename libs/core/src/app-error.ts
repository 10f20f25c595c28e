/**
 * The closed set of error codes, one per gRPC status code (same names, same numbers), so an error
 * raised anywhere maps to exactly one status on the wire.
 */
export const ErrorCode = {
  cancelled: 1,
  unknown: 2,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  data_loss: 15,
  unauthenticated: 16,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const codeByStatus = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([name, status]) => [status, name as ErrorCodeName]),
);

/** Codes whose operations may succeed when simply tried again later. */
const retriableByDefault: ReadonlySet<ErrorCodeName> = new Set([
  'unavailable',
  'deadline_exceeded',
  'aborted',
  'resource_exhausted',
]);

export interface AppErrorOptions {
  /** Overrides the code's default (unavailable, deadline_exceeded, aborted, resource_exhausted retry). */
  retriable?: boolean;
  cause?: unknown;
  /** The request field at fault, for invalid_argument: `inputs[0].shape`. */
  field?: string;
  /** Machine-readable details, carried in logs and gRPC trailers. */
  details?: Readonly<Record<string, string>>;
}

/** The one error type of Flywheel: a code that is a gRPC status, a message for humans, and whether to retry. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCodeName;
  readonly retriable: boolean;
  readonly field: string | undefined;
  readonly details: Readonly<Record<string, string>>;

  constructor(code: ErrorCodeName, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? retriableByDefault.has(code);
    this.field = options.field;
    this.details = options.details ?? {};
  }

  /** The gRPC status number of this error. */
  get status(): number {
    return ErrorCode[this.code];
  }

  /** An invalid_argument error that names the offending field: `"name: must not be empty"`. */
  static invalidArgument(
    field: string,
    problem: string,
    options: Omit<AppErrorOptions, 'field'> = {},
  ): AppError {
    return new AppError('invalid_argument', `${field}: ${problem}`, { ...options, field });
  }

  /** The code for a gRPC status number; unknown numbers map to `unknown`. */
  static codeOf(status: number): ErrorCodeName {
    return codeByStatus.get(status) ?? 'unknown';
  }

  /**
   * Turns anything thrown into an AppError, at catch sites. AppErrors pass through; aborts become
   * `cancelled` (or `deadline_exceeded` for timeouts); everything else is `internal` with the
   * original as `cause`. It never reads a status from `.code`: drivers put their own numbers there
   * (MongoDB's 13 is Unauthorized, not gRPC's INTERNAL). gRPC statuses are decoded in one place,
   * `fromGrpcError` in @flywheel/rpc, which the rpc client applies to every failed call.
   */
  static from(thrown: unknown): AppError {
    if (thrown instanceof AppError) return thrown;
    if (thrown instanceof Error) {
      if (thrown.name === 'TimeoutError')
        return new AppError('deadline_exceeded', thrown.message, { cause: thrown });
      if (thrown.name === 'AbortError') {
        const reason = (thrown as { cause?: unknown }).cause;
        if (reason instanceof AppError) return reason;
        return new AppError('cancelled', thrown.message, { cause: thrown });
      }
      return new AppError('internal', thrown.message, { cause: thrown });
    }
    return new AppError('internal', `non-error thrown: ${String(thrown)}`, { cause: thrown });
  }
}

/** True when `thrown` is an AppError with the given code. */
export function isAppError(thrown: unknown, code?: ErrorCodeName): thrown is AppError {
  return thrown instanceof AppError && (code === undefined || thrown.code === code);
}
