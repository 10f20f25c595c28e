import { describe, expect, it } from 'vitest';
import type { SliceRecord } from '../src/records/monitor-records.ts';
import { allSegments, segmentOf, segmentsOf } from '../src/records/segments.ts';

const buckets: SliceRecord = { feature: 'age', source: 'input', values: [], edges: [18, 30.5] };
const regions: SliceRecord = { feature: 'region', source: 'input', values: ['west', '1'], edges: [] };

describe('segments of a slice', () => {
  it('names numeric buckets by their edges, open-ended at both ends', () => {
    expect(segmentsOf(buckets)).toEqual(['age<18', '18<=age<30.5', 'age>=30.5']);
    expect(allSegments([buckets, regions])).toEqual([
      'age<18',
      '18<=age<30.5',
      'age>=30.5',
      'region=west',
      'region=1',
    ]);
  });

  it('puts a value on an edge in the bucket above it, and a missing or non-number in none', () => {
    expect(segmentOf(buckets, 17.999)).toBe('age<18');
    expect(segmentOf(buckets, 18)).toBe('18<=age<30.5');
    expect(segmentOf(buckets, 30.5)).toBe('age>=30.5');
    expect(segmentOf(buckets, '25')).toBe('18<=age<30.5');
    expect(segmentOf(buckets, true)).toBe('age<18');
    for (const none of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, 'old', '']) {
      expect(segmentOf(buckets, none)).toBeUndefined();
    }
  });

  it('compares categorical values as text; another value is in no segment', () => {
    expect(segmentOf(regions, 'west')).toBe('region=west');
    expect(segmentOf(regions, 1)).toBe('region=1');
    expect(segmentOf(regions, 'east')).toBeUndefined();
    expect(segmentOf(regions, null)).toBeUndefined();
  });
});
