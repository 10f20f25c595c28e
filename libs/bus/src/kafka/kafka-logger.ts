import type { Logger } from '@flywheel/core';
import { type logCreator, logLevel } from 'kafkajs';

/**
 * Routes kafkajs's own log lines to a Flywheel logger. kafkajs reports every transient retry at
 * `error`, so its errors arrive as `warn` and its info (joins, rebalances) as `debug`: the
 * adapter itself logs what an operator must act on. `onError` sees the `error` of each line: the
 * only place some broker answers surface (kafkajs turns a refused FindCoordinator into "group
 * coordinator not found").
 */
export function kafkaLogCreator(log: Logger, onError?: (error: string) => void): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, ...fields } = entry;
      if (onError && typeof fields.error === 'string') onError(fields.error);
      const line = `kafkajs ${namespace}: ${message}`;
      if (level <= logLevel.WARN) log.warn(line, fields);
      else log.debug(line, fields);
    };
}
