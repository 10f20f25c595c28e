import {
  type DriftResultRecord,
  resultKey,
  type SkippedFeatureRecord,
} from '../records/evaluation-records.ts';
import type { MonitorRecord } from '../records/monitor-records.ts';
import type { ReferenceProfileRecord } from '../records/profile-records.ts';
import { segmentOf, segmentsOf, sliceColumn } from '../records/segments.ts';
import type { SampleValue } from '../records/window-records.ts';
import { evaluateWindow } from './evaluate-window.ts';

const noColumn = 'the reference profile has no such column';

/**
 * A closed window against a version's profile: the whole population (results with segment
 * ''), then each segment of the monitor's slices — the window's rows in the segment against the
 * profile's rows in it. Every monitored feature that got no result is in `skipped` with the
 * reason, so nothing goes untested silently; a missing output names what the profile recorded
 * about it (`unprofiled`). `resultId(key)` names each result by its `resultKey`. Pure.
 */
export function evaluateSegments(input: {
  monitor: MonitorRecord;
  profile: ReferenceProfileRecord;
  columns: Readonly<Record<string, readonly SampleValue[]>>;
  resultId: (key: string) => string;
}): { results: DriftResultRecord[]; skipped: SkippedFeatureRecord[] } {
  const { monitor, profile, columns, resultId } = input;
  const results: DriftResultRecord[] = [];
  const skipped: SkippedFeatureRecord[] = [];
  const whole = evaluateWindow({ monitor, profile: profile.features, columns, resultId });
  results.push(...whole.results);
  skipped.push(...whole.skipped.map((s) => ({ ...s, segment: '', reason: explained(monitor, profile, s) })));
  for (const slice of monitor.slices ?? []) {
    const sliceValues = columns[sliceColumn(slice)] ?? [];
    for (const segment of segmentsOf(slice)) {
      const reference = profile.segments?.find((s) => s.segment === segment);
      if (!reference || reference.features.length === 0) {
        const reason = reference
          ? 'the reference has no rows in this segment'
          : 'the reference profile has no part for this segment (built or set before the slice existed)';
        for (const feature of monitor.features) skipped.push({ feature: feature.name, segment, reason });
        continue;
      }
      const rows: number[] = [];
      sliceValues.forEach((value, i) => {
        if (segmentOf(slice, value) === segment) rows.push(i);
      });
      const part: Record<string, SampleValue[]> = {};
      for (const feature of monitor.features) {
        const column = columns[feature.name] ?? [];
        part[feature.name] = rows.map((i) => column[i] ?? null);
      }
      const outcome = evaluateWindow({
        monitor,
        profile: reference.features,
        columns: part,
        resultId: (feature) => resultId(resultKey({ feature, segment })),
      });
      results.push(...outcome.results.map((r) => ({ ...r, segment })));
      skipped.push(...outcome.skipped.map((s) => ({ ...s, segment })));
    }
  }
  return { results, skipped };
}

/** A missing column's reason, with what the profile knows about it. */
function explained(
  monitor: MonitorRecord,
  profile: ReferenceProfileRecord,
  skip: { feature: string; reason: string },
): string {
  if (skip.reason !== noColumn) return skip.reason;
  const unprofiled = profile.unprofiled?.find((u) => u.name === skip.feature);
  if (unprofiled) return `no reference: ${unprofiled.reason}`;
  const feature = monitor.features.find((f) => f.name === skip.feature);
  if (feature?.source === 'output') {
    return (
      'no reference for this model output: the profile was built or set without it ' +
      '(register the version after creating the monitor, or set the profile from a dataset holding the output)'
    );
  }
  return skip.reason;
}
