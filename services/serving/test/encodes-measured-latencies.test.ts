import { toBinary } from '@bufbuild/protobuf';
import { DurationSchema, durationMs } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { latencyDuration } from '../src/traffic/shadow-mirror.ts';

describe('shadow comparisons carry measured latencies', () => {
  it.each([0, 0.0004, 8.142511000000001, 999.9999, 1000, 1234.5678, 86_400_000.25])(
    '%s ms encodes as a Duration of whole microseconds',
    (ms) => {
      const duration = latencyDuration(ms);
      expect(Number.isInteger(duration.nanos)).toBe(true);
      expect(() => toBinary(DurationSchema, duration)).not.toThrow();
      expect(Math.abs(Number(duration.seconds) * 1000 + duration.nanos / 1e6 - ms)).toBeLessThanOrEqual(
        0.0005,
      );
      expect(durationMs(duration)).toBe(Math.round(ms));
    },
  );
});
