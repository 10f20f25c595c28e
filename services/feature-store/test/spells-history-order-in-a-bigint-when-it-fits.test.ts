import { describe, expect, it } from 'vitest';
import { type ChunkFile, narrowOrd, type OrdSpelling } from '../src/storage/duckdb-history-sql.ts';

/** The `ord` historySql computes for a row, in exact integers. */
const ordOf = (ord: OrdSpelling, t: number, ix: number, rn: number) =>
  BigInt(t - ord.baseMs) * ord.timeScale + BigInt(ix) * ord.fileScale + BigInt(rn);
/** The bound ordAtOrBefore computes for a lookup at `t`. */
const boundOf = (ord: OrdSpelling, t: number) => BigInt(t - ord.baseMs) * ord.timeScale + ord.timeScale - 1n;

const files = (count: number): ChunkFile[] =>
  Array.from({ length: count }, (_, ix) => ({ path: `c${ix}.parquet`, ix, columns: [] }));

describe('narrowOrd', () => {
  it('orders rows by time, then chunk, then row, and bounds a lookup by its own time, within 62 bits', () => {
    const ord = narrowOrd(files(20), 50_000, 1_000, 1_000 + 3_600_000)!;
    expect(ord.type).toBe('BIGINT');
    const rows: [number, number, number][] = [
      [1_000, 0, 0],
      [1_000, 0, 49_999],
      [1_000, 19, 0],
      [1_001, 0, 0],
      [1_000 + 3_600_000, 19, 49_999],
    ];
    const ords = rows.map(([t, ix, rn]) => ordOf(ord, t, ix, rn));
    expect([...ords].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ords);
    // A lookup takes every row at its time (any chunk, any row) and none after it.
    expect(boundOf(ord, 1_000) >= ords[2]!).toBe(true);
    expect(boundOf(ord, 1_000) < ords[3]!).toBe(true);
    expect(boundOf(ord, 1_000 + 3_600_000) < 1n << 62n).toBe(true);
  });

  it('is undefined when the time span and write positions need more than 62 bits (HUGEINT then)', () => {
    const years = { from: -62_135_596_800_000, to: 253_402_300_799_999 };
    expect(narrowOrd(files(1 << 14), 1, years.from, years.to)).toBeUndefined();
    expect(narrowOrd(files(1), 1 << 20, years.from, years.to)).toBeUndefined();
    expect(narrowOrd(files(1), 1, years.from, years.to)?.type).toBe('BIGINT');
  });
});
