import type { Column } from '@flywheel/datasets';
import type { FeatureKindName } from '../records/monitor-records.ts';
import { inferKind, sampleOf } from '../records/sample-values.ts';
import type { SampleValue } from '../records/window-records.ts';

/**
 * What a profile needs of a dataset column as `@flywheel/datasets` reads it (packed numbers with
 * NaN for missing, or cells): its kind, its numbers, its samples, and a subset of its rows.
 */

/** `inferKind` of the column's cells: numeric when every present cell is a number. */
export function inferredKind(column: Column): FeatureKindName {
  return column.type === 'numbers' ? 'numeric' : inferKind(column.values);
}

/** The values the column takes as a numeric column (see `sampleOf`), missing ones left out, in row order: a copy. */
export function numbersOf(column: Column): Float64Array {
  const out = new Float64Array(column.values.length);
  let count = 0;
  if (column.type === 'numbers') {
    const values = column.values;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (!Number.isNaN(x)) out[count++] = x;
    }
  } else {
    for (const cell of column.values) {
      const sample = sampleOf(cell, 'numeric');
      if (sample !== null) out[count++] = sample as number;
    }
  }
  return out.subarray(0, count);
}

/** Every cell of the column as a sample of a column of `kind` (`sampleOf`), missing ones as null. */
export function samplesOf(column: Column, kind: FeatureKindName): SampleValue[] {
  if (column.type === 'cells') return column.values.map((cell) => sampleOf(cell, kind));
  return Array.from(column.values, (x) => (Number.isNaN(x) ? null : sampleOf(x, kind)));
}

/** The column's rows at `indices`, in that order. */
export function rowsOf(column: Column, indices: Int32Array): Column {
  if (column.type === 'numbers') {
    const values = new Float64Array(indices.length);
    for (let k = 0; k < indices.length; k++) values[k] = column.values[indices[k]!]!;
    return { type: 'numbers', values };
  }
  return { type: 'cells', values: Array.from(indices, (i) => column.values[i]!) };
}
