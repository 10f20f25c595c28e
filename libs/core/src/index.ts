export type { AppErrorOptions, ErrorCodeName } from './app-error.ts';
export { AppError, ErrorCode, isAppError } from './app-error.ts';
export type { Env } from './config-reader.ts';
export { ConfigReader, parseDurationMs } from './config-reader.ts';
export type { CallOptions } from './deadline.ts';
export { abortError, backoffMs, deadlineSignal, delay, throwIfAborted } from './deadline.ts';
export type { LogFields, Logger, LogLevel } from './logger.ts';
export { logLevels, silentLogger } from './logger.ts';
export { messageOf } from './message-of.ts';
