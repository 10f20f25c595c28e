import { AppError } from '@flywheel/core';
import { context, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createJsonLogger } from './json-logger.ts';
import { startTelemetry } from './start-telemetry.ts';

const telemetry = startTelemetry({ serviceName: 'json-logger-test' });
afterAll(() => telemetry.shutdown());

function capture(level?: 'debug' | 'info' | 'warn' | 'error' | 'silent') {
  const lines: Record<string, unknown>[] = [];
  const log = createJsonLogger({
    ...(level ? { level } : {}),
    base: { service: 'probe' },
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { log, lines };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line with time, level, msg, base and fields', () => {
    const { log, lines } = capture();
    log.info('serving', { port: 7103 });
    expect(lines).toEqual([
      { time: expect.any(String), level: 'info', msg: 'serving', service: 'probe', port: 7103 },
    ]);
    expect(Number.isNaN(Date.parse(lines[0]!.time as string))).toBe(false);
  });

  it('carries the active span’s trace and span ids', () => {
    const { log, lines } = capture();
    const span = trace.getTracer('test').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => log.warn('inside'));
    span.end();
    log.warn('outside');
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ] as const)('at level %s writes %o', (level, written) => {
    const { log, lines } = capture(level);
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.level)).toEqual(written);
  });

  it('child loggers add their fields to the base', () => {
    const { log, lines } = capture();
    log.child({ port: 'bus' }).child({ topic: 't' }).info('x');
    expect(lines[0]).toMatchObject({ service: 'probe', port: 'bus', topic: 't' });
  });

  it('writes errors with name, message, code, retriable, field and stack; bigints as strings', () => {
    const { log, lines } = capture();
    log.error('failed', { error: AppError.invalidArgument('name', 'empty'), size: 2n ** 70n });
    expect(lines[0]!.error).toMatchObject({
      name: 'AppError',
      message: 'name: empty',
      code: 'invalid_argument',
      retriable: false,
      field: 'name',
      stack: expect.stringContaining('name: empty'),
    });
    expect(lines[0]!.size).toBe((2n ** 70n).toString());
  });
});
