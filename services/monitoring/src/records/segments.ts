import type { SliceRecord } from './monitor-records.ts';
import type { Scalar } from './sample-values.ts';

/** Segments a monitor may declare over all its slices: each gets a reference and results of its own. */
export const maxSegments = 20;

/** The segment names of a slice, in order: `region=west`, or `age<18`, `18<=age<30`, `age>=30`. */
export function segmentsOf(slice: SliceRecord): string[] {
  if (slice.values.length > 0) return slice.values.map((value) => `${slice.feature}=${value}`);
  const { edges, feature } = slice;
  return [
    `${feature}<${edges[0]}`,
    ...edges.slice(1).map((edge, i) => `${edges[i]}<=${feature}<${edge}`),
    `${feature}>=${edges[edges.length - 1]}`,
  ];
}

/** The segment a row's value of the slice column falls in; undefined when none (another value, missing). */
export function segmentOf(slice: SliceRecord, value: Scalar | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (slice.values.length > 0) {
    const text = String(value);
    return slice.values.includes(text) ? `${slice.feature}=${text}` : undefined;
  }
  const number = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
  if (typeof value === 'string' && value.trim() === '') return undefined;
  if (!Number.isFinite(number)) return undefined;
  const { edges, feature } = slice;
  const above = edges.findIndex((edge) => number < edge);
  if (above === 0) return `${feature}<${edges[0]}`;
  if (above < 0) return `${feature}>=${edges[edges.length - 1]}`;
  return `${edges[above - 1]}<=${feature}<${edges[above]}`;
}

/** Every segment of a monitor's slices, in declaration order. */
export function allSegments(slices: readonly SliceRecord[] | undefined): string[] {
  return (slices ?? []).flatMap(segmentsOf);
}

/**
 * Where a window keeps a slice's values, beside the monitored features' columns (document keys
 * may not hold NUL, so a prefix no monitored name uses: CreateMonitor refuses feature names starting with `@slice:`).
 */
export function sliceColumn(slice: Pick<SliceRecord, 'feature' | 'source'>): string {
  return `@slice:${slice.source}:${slice.feature}`;
}
