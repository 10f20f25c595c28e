import { describe, expect, it } from 'vitest';
import { loadServingConfig } from '../src/index.ts';

describe('FLYWHEEL_SERVING_PRINCIPAL_RATE and _BURST', () => {
  it('is off unless the rate is set; the burst defaults to the rate rounded up', () => {
    expect(loadServingConfig({}).principalRate).toBeUndefined();
    expect(loadServingConfig({ FLYWHEEL_SERVING_PRINCIPAL_RATE: '2.5' }).principalRate).toEqual({
      ratePerSecond: 2.5,
      burst: 3,
    });
    expect(
      loadServingConfig({ FLYWHEEL_SERVING_PRINCIPAL_RATE: '0.05', FLYWHEEL_SERVING_PRINCIPAL_BURST: '5' })
        .principalRate,
    ).toEqual({ ratePerSecond: 0.05, burst: 5 });
  });

  it('refuses a rate that is not a positive number, and a burst without a rate, naming the variable', () => {
    for (const rate of ['0', '-1', 'fast', 'Infinity'])
      expect(() => loadServingConfig({ FLYWHEEL_SERVING_PRINCIPAL_RATE: rate })).toThrow(
        /FLYWHEEL_SERVING_PRINCIPAL_RATE/,
      );
    expect(() => loadServingConfig({ FLYWHEEL_SERVING_PRINCIPAL_BURST: '5' })).toThrow(
      /FLYWHEEL_SERVING_PRINCIPAL_BURST.*is set but FLYWHEEL_SERVING_PRINCIPAL_RATE is not/,
    );
    expect(() =>
      loadServingConfig({ FLYWHEEL_SERVING_PRINCIPAL_RATE: '5', FLYWHEEL_SERVING_PRINCIPAL_BURST: '0' }),
    ).toThrow(/FLYWHEEL_SERVING_PRINCIPAL_BURST/);
  });
});
