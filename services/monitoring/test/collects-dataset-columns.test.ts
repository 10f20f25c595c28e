// Dataset rows collected into columns: the same values, kinds and missing counts as reading each
// row's scalar and taking `sampleOf` of it, whether a column stays packed numbers or turns mixed.
import { describe, expect, it } from 'vitest';
import { DatasetColumns } from '../src/profiles/dataset-columns.ts';
import { inferKind, type Scalar, sampleOf } from '../src/records/sample-values.ts';

describe('dataset columns', () => {
  // More rows than one chunk holds; columns turn mixed before, at and after a chunk boundary.
  const count = 20_000;
  const rows: Record<string, Scalar>[] = Array.from({ length: count }, (_, i) => {
    const row: Record<string, Scalar> = {
      numbers: i % 7 === 0 ? null : i * 0.5 - 3000,
      text: i < 10_000 ? i : `t${i % 3}`,
      flags: i === 8192 ? true : i % 2,
      infinite: i === count - 1 ? Number.POSITIVE_INFINITY : -i,
      zeros: i % 2 === 0 ? 0 : -0,
    };
    if (i % 5 === 0) delete row.numbers;
    return row;
  });
  const names = ['numbers', 'text', 'flags', 'infinite', 'zeros', 'absent'];
  const columns = new DatasetColumns(names);
  for (const row of rows) columns.add(row);

  it.each(names.map((name, c) => [name, c] as const))('%s', (name, c) => {
    const scalars = rows.map((row) => row[name] ?? null);
    expect(columns.rows).toBe(count);
    expect(columns.inferredKind(c)).toBe(inferKind(scalars));
    const numeric = scalars.map((value) => sampleOf(value, 'numeric')).filter((value) => value !== null);
    expect(Array.from(columns.numbers(c))).toEqual(numeric);
    expect(columns.samples(c, 'categorical')).toEqual(scalars.map((value) => sampleOf(value, 'categorical')));
    expect(columns.samples(c, 'numeric')).toEqual(scalars.map((value) => sampleOf(value, 'numeric')));
  });
});
