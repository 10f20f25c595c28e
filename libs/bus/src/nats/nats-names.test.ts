import { describe, expect, it } from 'vitest';
import { durableNameOf } from './nats-names.ts';

/** What JetStream accepts as a durable name: no `.`, `*`, `>`, whitespace or path separators. */
const legalDurable = /^[A-Za-z0-9_-]+$/;

describe('durableNameOf', () => {
  it('keeps a group that is already a legal durable name as it is', () => {
    for (const group of ['scheduler', 'monitoring-windows', 'flywheel-dlq-redrive', 'staging-eu_1-serving'])
      expect(durableNameOf(group)).toBe(group);
  });

  it('turns groups with `.`, `*`, `>`, `/`, `:` or whitespace into legal durable names, the same each time', () => {
    for (const group of ['serving.host-1.serving', 'a*b', 'a>b', 'web/1', 'web:1', 'a b\tc']) {
      expect(durableNameOf(group)).toMatch(legalDurable);
      expect(durableNameOf(group)).toBe(durableNameOf(group));
    }
  });

  it('gives distinct groups distinct durable names (two replicas never share a consumer)', () => {
    // Instance ids may hold `.` and `_`: serving's per-replica groups differ only there.
    const groups = [
      'serving.web_1',
      'serving.web.1',
      'serving_web.1',
      'serving_web_1',
      'serving-ground-truth.a.b',
      'serving-ground-truth.a_b',
    ];
    expect(new Set(groups.map(durableNameOf)).size).toBe(groups.length);
  });
});
