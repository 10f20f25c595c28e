import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../src/values/event-times.ts';

describe('event times in datasets', () => {
  it('reads RFC 3339 with any offset or fraction, and bare dates as midnight UTC', () => {
    expect(parseEventTime('2012-01-01', 'f', 'up')).toBe(Date.parse('2012-01-01T00:00:00Z'));
    expect(parseEventTime('2012-01-01T02:00:00+02:00', 'f', 'up')).toBe(Date.parse('2012-01-01T00:00:00Z'));
    expect(parseEventTime('2012-01-01T00:00:00.5Z', 'f', 'up')).toBe(Date.parse('2012-01-01T00:00:00.500Z'));
  });

  it('rounds sub-millisecond digits so a value can never look earlier than it was', () => {
    const t = Date.parse('2012-01-01T00:00:00.001Z');
    expect(parseEventTime('2012-01-01T00:00:00.0010001Z', 'f', 'up')).toBe(t + 1);
    expect(parseEventTime('2012-01-01T00:00:00.0010001Z', 'f', 'down')).toBe(t);
  });

  it('names the field of a time it cannot read', () => {
    expect(() => parseEventTime('01/02/2012', 'line 3.event_time', 'up')).toThrow(
      /line 3.event_time: must be an RFC 3339/,
    );
    expect(() => parseEventTime(1325376000, 'line 3.event_time', 'up')).toThrow(
      /line 3.event_time: must be an RFC 3339 time string/,
    );
  });
});
