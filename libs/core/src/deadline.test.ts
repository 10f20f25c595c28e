import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.ts';
import { abortError, backoffMs, deadlineSignal, delay, throwIfAborted } from './deadline.ts';

/** Resolves with the signal's reason once it aborts: an explicit signal, no sleeping. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('deadlineSignal', () => {
  it('aborts with deadline_exceeded after timeoutMs', async () => {
    const signal = deadlineSignal({ timeoutMs: 5 }, 60_000);
    const reason = await aborted(signal);
    expect(reason).toBeInstanceOf(AppError);
    expect(reason).toMatchObject({ code: 'deadline_exceeded', message: 'deadline of 5 ms exceeded' });
  });

  it('falls back to the default timeout', async () => {
    const reason = await aborted(deadlineSignal({}, 5));
    expect(reason).toMatchObject({ code: 'deadline_exceeded', message: 'deadline of 5 ms exceeded' });
  });

  it("aborts with the caller's reason when the caller aborts first", async () => {
    const caller = new AbortController();
    const signal = deadlineSignal({ signal: caller.signal, timeoutMs: 60_000 }, 60_000);
    expect(signal.aborted).toBe(false);
    const reason = new AppError('cancelled', 'client went away');
    caller.abort(reason);
    expect(await aborted(signal)).toBe(reason);
  });
});

describe('abortError', () => {
  const abortedWith = (reason?: unknown): AbortSignal => {
    const controller = new AbortController();
    controller.abort(reason);
    return controller.signal;
  };

  it('returns an AppError reason as it is', () => {
    const reason = new AppError('unavailable', 'gone');
    expect(abortError(abortedWith(reason))).toBe(reason);
  });

  it.each([
    [
      'a TimeoutError',
      AbortSignal.abort(new DOMException('timed out', 'TimeoutError')),
      'deadline_exceeded',
      'timed out',
    ],
    ['an Error', abortedWith(new Error('stop')), 'cancelled', 'stop'],
    ['the default AbortError', abortedWith(), 'cancelled', 'This operation was aborted'],
    ['a string', abortedWith('why'), 'cancelled', 'operation was cancelled'],
  ])('maps %s', (_, signal, code, message) => {
    const error = abortError(signal);
    expect(error).toMatchObject({ code, message });
    expect(error.cause).toBe(signal.reason);
  });
});

describe('throwIfAborted', () => {
  it('does nothing without a signal or before the abort', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
  });

  it("throws the abort's AppError", () => {
    const controller = new AbortController();
    const reason = new AppError('deadline_exceeded', 'late');
    controller.abort(reason);
    expect(() => throwIfAborted(controller.signal)).toThrow(reason);
  });
});

describe('delay', () => {
  it('resolves after the time has passed', async () => {
    const started = performance.now();
    await delay(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });

  it('rejects at once for a signal that already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new AppError('cancelled', 'no'));
    await expect(delay(60_000, controller.signal)).rejects.toMatchObject({
      code: 'cancelled',
      message: 'no',
    });
  });

  it('rejects as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = delay(60_000, controller.signal);
    controller.abort(new AppError('deadline_exceeded', 'late'));
    await expect(waiting).rejects.toMatchObject({ code: 'deadline_exceeded' });
  });
});

describe('backoffMs', () => {
  it.each([
    [0, 1, 100],
    [1, 1, 200],
    [3, 1, 800],
    [10, 1, 5000],
    [2, 0, 0],
    [2, 0.5, 200],
  ])('attempt %i with random %d waits %i ms (base 100, cap 5000)', (attempt, random, ms) => {
    expect(backoffMs(attempt, 100, 5000, () => random)).toBe(ms);
  });

  it('stays within [0, min(cap, base·2^attempt)] with the default random', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const ms = backoffMs(attempt, 100, 5000);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** attempt));
    }
  });
});
