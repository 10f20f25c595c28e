import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { DataQualityViolatedSchema } from '@flywheel/proto/flywheel/events/v1/quality_pb.js';
import { type ExpectationRecord, toExpectationMessage } from './expectation-records.ts';
import type { ViolationTally } from './violation-tally.ts';

/**
 * The part of a `data-quality.violated` payload every stage fills alike: the expectation and its
 * index, the counts, what was observed (null and violation fractions, out-of-range extremes, new
 * categories, oldest age, sample values) and the window — `window` when given (a flush interval),
 * else the tally's event-time range [first, last + 1 ms). The caller adds who owns the expectation.
 */
export function violationFields(
  expectation: ExpectationRecord,
  index: number,
  tally: ViolationTally,
  window?: { readonly start: number; readonly end: number },
): MessageInitShape<typeof DataQualityViolatedSchema> {
  const start = window?.start ?? tally.startMs;
  const end = window?.end ?? tally.endMs + 1;
  return {
    feature: expectation.feature,
    expectation: toExpectationMessage(expectation),
    expectationIndex: index,
    checkedCount: BigInt(tally.checked),
    violationCount: BigInt(tally.violations),
    rejectedCount: BigInt(tally.rejected),
    observedNullFraction: tally.checked > 0 ? tally.nulls / tally.checked : 0,
    observedViolationFraction: tally.checked > 0 ? tally.violations / tally.checked : 0,
    ...(Number.isFinite(tally.min) ? { observedMin: tally.min, observedMax: tally.max } : {}),
    newCategories: [...tally.newCategories].sort(),
    ...(tally.maxAgeMs > 0 ? { observedMaxAge: durationFromMs(tally.maxAgeMs) } : {}),
    sampleValues: tally.samples,
    ...(Number.isFinite(start) ? { startTime: timestampFromMs(start), endTime: timestampFromMs(end) } : {}),
  };
}
