// The one expectation model: validated against whoever owns it, checked on a batch, reported alike.

import { create } from '@bufbuild/protobuf';
import {
  type Duration,
  durationFromMs,
  durationMs,
  type Timestamp,
  timestampMs,
} from '@bufbuild/protobuf/wkt';
import {
  ExpectationAction,
  ExpectationSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/expectations_pb.js';
import { describe, expect, it } from 'vitest';
import {
  checkExpectations,
  type ExpectationOwner,
  expectationsOf,
  violated,
  violationFields,
} from '../src/index.ts';

const watcher: ExpectationOwner = {
  column: (name) =>
    name === 'wind'
      ? { typeName: 'NUMERIC', numeric: true, categorical: false }
      : name === 'sky'
        ? { typeName: 'CATEGORICAL', numeric: false, categorical: true }
        : undefined,
  unknownFeature: 'is not watched',
  numericTypes: 'a NUMERIC feature',
  categoryTypes: 'a CATEGORICAL feature',
  canReject: false,
};

const declared = [
  create(ExpectationSchema, { feature: 'wind', kind: { case: 'notNull', value: { maxNullFraction: 0.25 } } }),
  create(ExpectationSchema, { feature: 'wind', kind: { case: 'range', value: { max: 10 } } }),
  create(ExpectationSchema, {
    feature: 'sky',
    kind: { case: 'allowedCategories', value: { values: ['sun'] } },
  }),
  create(ExpectationSchema, { kind: { case: 'freshness', value: { maxAge: durationFromMs(1000) } } }),
];

describe('expectations', () => {
  it('are refused, naming the field, where their owner cannot honour them', () => {
    const reject = create(ExpectationSchema, {
      feature: 'wind',
      action: ExpectationAction.REJECT,
      kind: { case: 'notNull', value: {} },
    });
    expect(() => expectationsOf([reject], watcher, 'm.expectations')).toThrow('m.expectations[0].action');
    expect(() => expectationsOf([reject], { ...watcher, canReject: true }, 'm.expectations')).not.toThrow();
    const gust = create(ExpectationSchema, { feature: 'gust', kind: { case: 'notNull', value: {} } });
    expect(() => expectationsOf([gust], watcher, 'm.expectations')).toThrow('"gust" is not watched');
    const skyRange = create(ExpectationSchema, {
      feature: 'sky',
      kind: { case: 'range', value: { min: 1 } },
    });
    expect(() => expectationsOf([skyRange], watcher, 'm.expectations')).toThrow(
      'feature sky is CATEGORICAL; a range needs a NUMERIC feature',
    );
  });

  it('tally a batch per expectation, nulls within the tolerance being no violation, and report it alike', () => {
    const expectations = expectationsOf(declared, watcher, 'm.expectations');
    const rows = [
      { timeMs: 0, values: { wind: null, sky: 'sun' } },
      { timeMs: 1, values: { wind: 12, sky: 'fog' } },
      { timeMs: 2, values: { wind: 3, sky: 'sun' } },
      { timeMs: 3, values: { wind: 4, sky: 'sun' } },
    ];
    const { accepted, tallies } = checkExpectations(expectations, rows, 1002);
    expect(accepted).toHaveLength(4);
    expect(tallies.map(violated)).toEqual([false, true, true, true]);
    const range = violationFields(expectations[1]!, 1, tallies[1]!);
    expect(range).toMatchObject({
      feature: 'wind',
      expectationIndex: 1,
      checkedCount: 4n,
      violationCount: 1n,
    });
    expect([range.observedMin, range.observedMax, range.observedViolationFraction]).toEqual([12, 12, 0.25]);
    // The window is the checked rows' event times, [first, last + 1 ms), unless one is given.
    expect([timestampMs(range.startTime as Timestamp), timestampMs(range.endTime as Timestamp)]).toEqual([
      0, 4,
    ]);
    const sky = violationFields(expectations[2]!, 2, tallies[2]!);
    expect(sky.newCategories).toEqual(['fog']);
    const fresh = violationFields(expectations[3]!, 3, tallies[3]!, { start: 100, end: 200 });
    expect(fresh.violationCount).toBe(2n);
    expect(durationMs(fresh.observedMaxAge as Duration)).toBe(1002);
    expect([timestampMs(fresh.startTime as Timestamp), timestampMs(fresh.endTime as Timestamp)]).toEqual([
      100, 200,
    ]);
  });
});
