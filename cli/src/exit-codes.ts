import { AppError, ErrorCode, type ErrorCodeName } from '@flywheel/core';

/**
 * Exit codes, one per outcome a script may branch on. A failed call exits with `10 +` its gRPC
 * status code, so `not_found` is 15 and `unavailable` 24 whichever command made the call.
 */
export const exitCodes = {
  ok: 0,
  /** Anything not classified below (a bug, an unreadable file…). */
  failure: 1,
  /** Bad command line: unknown command or option, missing argument (commander's own errors too). */
  usage: 2,
  /** What the command waited for ended badly: a run failed or was cancelled, a deployment failed. */
  ended_badly: 3,
  /** The config file or the chosen context is missing or malformed. */
  config: 4,
} as const;

const grpcBase = 10;

/** The exit code of a failed call: 10 + its gRPC status (cancelled 11 … unauthenticated 26). */
export function exitCodeOfStatus(code: ErrorCodeName): number {
  return grpcBase + ErrorCode[code];
}

/** The exit code for anything a command threw. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof AppError) return exitCodeOfStatus(error.code);
  return exitCodes.failure;
}

/** A failure of the CLI itself (config, usage, an awaited outcome), with the exit code it maps to. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The table of exit codes, for `flywheel --help` and the README. */
export function exitCodeTable(): Array<[number, string]> {
  return [
    [exitCodes.ok, 'success'],
    [exitCodes.failure, 'unexpected failure (unreadable file, bug)'],
    [exitCodes.usage, 'bad command line'],
    [exitCodes.ended_badly, 'what was awaited ended badly (run failed/cancelled, deployment failed)'],
    [exitCodes.config, 'config file or context missing or malformed'],
    ...Object.entries(ErrorCode).map(
      ([name, status]) =>
        [grpcBase + status, `the service answered ${name.toUpperCase()}`] as [number, string],
    ),
  ];
}
