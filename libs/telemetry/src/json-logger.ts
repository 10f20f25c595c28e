import type { LogFields, Logger, LogLevel } from '@flywheel/core';
import { trace } from '@opentelemetry/api';

const rank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface JsonLoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Fields on every line, e.g. `{ service: 'registry' }`. */
  base?: LogFields;
  /** Where a finished line goes. Default: stdout. */
  write?: (line: string) => void;
}

/**
 * One JSON object per line with `time`, `level`, `msg`, the base fields, and the active span's
 * `trace_id`/`span_id`, so every log line can be found from a trace and vice versa.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const make = (base: LogFields): Logger => {
    const emit =
      (level: Exclude<LogLevel, 'silent'>) =>
      (msg: string, fields?: LogFields): void => {
        if (rank[level] < threshold) return;
        const span = trace.getActiveSpan()?.spanContext();
        const line: Record<string, unknown> = {
          time: new Date().toISOString(),
          level,
          msg,
          ...base,
          ...fields,
        };
        if (span) {
          line.trace_id = span.traceId;
          line.span_id = span.spanId;
        }
        write(JSON.stringify(line, errorReplacer));
      };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.base ?? {});
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { code, retriable, field } = value as Error & {
      code?: unknown;
      retriable?: unknown;
      field?: unknown;
    };
    return { name: value.name, message: value.message, code, retriable, field, stack: value.stack };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
