import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.ts';
import { ConfigReader, parseDurationMs } from './config-reader.ts';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5m', 90_000],
    ['0.5s', 500],
    ['1500', 1500],
    ['0', 0],
    [' 5 s ', 5000],
    ['1.0004s', 1000],
  ])('parses %o as %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  // One number and one unit: combinations such as 1h30m are not supported.
  it.each(['', 'soon', '5 sec', '5d', '-5s', '1h30m', '5s5', '.5s', '1e3', 'ms', '5S'])(
    'rejects %o',
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );
});

function problemsOf(reader: ConfigReader): string {
  try {
    reader.done();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'invalid_argument', field: 'env' });
    return (error as AppError).message;
  }
  return '';
}

describe('ConfigReader', () => {
  it('reads strings and optionals, treating unset and blank alike and trimming', () => {
    const reader = new ConfigReader({ A: ' a ', BLANK: '  ', EMPTY: '' });
    expect(reader.string('A', 'x')).toBe('a');
    expect(reader.string('BLANK', 'fallback')).toBe('fallback');
    expect(reader.string('MISSING', 'fallback')).toBe('fallback');
    expect(reader.optional('A')).toBe('a');
    expect(reader.optional('EMPTY')).toBeUndefined();
    expect(reader.optional('MISSING')).toBeUndefined();
    expect(() => reader.done()).not.toThrow();
  });

  it.each([
    [undefined, 7, undefined],
    ['12', 12, undefined],
    ['-3', -3, undefined],
    ['1.5', 7, 'N must be an integer from -10 to 100, got "1.5"'],
    ['abc', 7, 'N must be an integer from -10 to 100, got "abc"'],
    ['101', 7, 'N must be an integer from -10 to 100, got "101"'],
    ['-11', 7, 'N must be an integer from -10 to 100, got "-11"'],
  ])('int(%o) is %i', (raw, value, problem) => {
    const reader = new ConfigReader({ N: raw });
    expect(reader.int('N', 7, { min: -10, max: 100 })).toBe(value);
    if (problem) expect(problemsOf(reader)).toContain(problem);
    else expect(() => reader.done()).not.toThrow();
  });

  it.each([
    [undefined, 'info', undefined],
    ['debug', 'debug', undefined],
    ['loud', 'info', 'LEVEL must be one of debug, info, warn, got "loud"'],
    ['DEBUG', 'info', 'LEVEL must be one of debug, info, warn, got "DEBUG"'],
  ])('oneOf(%o) is %o', (raw, value, problem) => {
    const reader = new ConfigReader({ LEVEL: raw });
    expect(reader.oneOf('LEVEL', ['debug', 'info', 'warn'], 'info')).toBe(value);
    if (problem) expect(problemsOf(reader)).toContain(problem);
    else expect(() => reader.done()).not.toThrow();
  });

  it.each([
    [undefined, 10_000, undefined],
    ['250ms', 250, undefined],
    ['2m', 120_000, undefined],
    ['forever', 10_000, 'WAIT must be a duration like 250ms, 5s, 2m or 1h, got "forever"'],
  ])('durationMs(%o) is %i', (raw, value, problem) => {
    const reader = new ConfigReader({ WAIT: raw });
    expect(reader.durationMs('WAIT', '10s')).toBe(value);
    if (problem) expect(problemsOf(reader)).toContain(problem);
    else expect(() => reader.done()).not.toThrow();
  });

  it.each([
    ['true', true],
    ['YES', true],
    ['1', true],
    ['on', true],
    ['false', false],
    ['No', false],
    ['0', false],
    ['off', false],
  ])('bool(%o) is %s', (raw, value) => {
    const reader = new ConfigReader({ FLAG: raw });
    expect(reader.bool('FLAG', !value)).toBe(value);
    expect(() => reader.done()).not.toThrow();
  });

  it('bool keeps the fallback for a bad value and records it', () => {
    const reader = new ConfigReader({ FLAG: 'maybe' });
    expect(reader.bool('FLAG', true)).toBe(true);
    expect(problemsOf(reader)).toContain('FLAG must be true or false, got "maybe"');
  });

  it('url accepts only the listed protocols', () => {
    const reader = new ConfigReader({ OK: 'kafka://b:9092', WRONG: 'http://x', BAD: 'not a url' });
    expect(reader.url('OK', ['kafka:'])?.host).toBe('b:9092');
    expect(reader.url('WRONG', ['kafka:', 'mongodb:'])).toBeUndefined();
    expect(reader.url('BAD', ['kafka:'])).toBeUndefined();
    expect(reader.url('MISSING', ['kafka:'])).toBeUndefined();
    const message = problemsOf(reader);
    expect(message).toContain('WRONG must be a kafka: or mongodb: URL, got "http://x"');
    expect(message).toContain('BAD is not a URL: "not a url"');
  });

  it('collects every problem and throws them once, in order, from done()', () => {
    const reader = new ConfigReader({ N: 'x', LEVEL: 'loud', WAIT: 'soon' });
    reader.int('N', 1);
    reader.oneOf('LEVEL', ['info'], 'info');
    reader.durationMs('WAIT', '1s');
    reader.problem('FLYWHEEL_S3_BUCKET', 'is set but FLYWHEEL_BLOBS is fs');
    expect(problemsOf(reader)).toBe(
      'invalid configuration:\n' +
        `  - N must be an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got "x"\n` +
        '  - LEVEL must be one of info, got "loud"\n' +
        '  - WAIT must be a duration like 250ms, 5s, 2m or 1h, got "soon"\n' +
        '  - FLYWHEEL_S3_BUCKET is set but FLYWHEEL_BLOBS is fs',
    );
  });
});
