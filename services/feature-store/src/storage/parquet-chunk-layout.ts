import { BIGINT, BOOLEAN, DOUBLE, type DuckDBType, type DuckDBValue, VARCHAR } from '@duckdb/node-api';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { StoredValue } from '../values/feature-values.ts';

/**
 * How a feature's values sit in a Parquet chunk column: `d` DOUBLE (every value a number), `s`
 * VARCHAR (every value a string), `b` BOOLEAN, `j` VARCHAR holding JSON (lists, or a column whose
 * values mix types). The column is named `<tag>:<feature>`; NULL is the value null.
 */
export type ColumnTag = 'd' | 's' | 'b' | 'j';

/** The chunk's columns for one feature: its value column and, if some row of the chunk does not set it, `p:<feature>` (BOOLEAN, true where set). */
export interface FeatureColumn {
  readonly feature: string;
  readonly tag: ColumnTag;
  readonly presence: boolean;
}

/** Parquet key-value metadata of a chunk: the view it belongs to and the layout version. */
export const layoutKey = 'flywheel_chunk';
export const layoutVersion = 'typed-1';
export const viewKey = 'feature_view';

const duckType: Record<ColumnTag, DuckDBType> = { d: DOUBLE, s: VARCHAR, b: BOOLEAN, j: VARCHAR };
/** SQL type of a tag's column, for the NULL stand-in of a chunk that lacks it. */
export const sqlType: Record<ColumnTag, string> = { d: 'DOUBLE', s: 'VARCHAR', b: 'BOOLEAN', j: 'VARCHAR' };

export const valueColumn = (tag: ColumnTag, feature: string) => `${tag}:${feature}`;
export const presenceColumn = (feature: string) => `p:${feature}`;

/** Parses a chunk column name back into its role (undefined for `key`/`event_time_ms`). */
export function parseColumn(name: string): { kind: ColumnTag | 'p'; feature: string } | undefined {
  const kind = name.slice(0, 2);
  if (kind.length !== 2 || kind[1] !== ':' || !'dsbjp'.includes(kind[0]!)) return undefined;
  return { kind: kind[0] as ColumnTag | 'p', feature: name.slice(2) };
}

function tagOf(value: StoredValue): ColumnTag | null {
  switch (typeof value) {
    case 'number':
      return 'd';
    case 'string':
      return 's';
    case 'boolean':
      return 'b';
    default:
      return value === null ? null : 'j';
  }
}

/** A chunk's layout and its cells, column by column in table order (see {@link chunkTableColumns}). */
export interface ChunkCells {
  readonly layout: readonly FeatureColumn[];
  readonly columns: readonly DuckDBValue[][];
}

/**
 * The layout (features sorted by name, so equal rows give equal files) and cells of a chunk of
 * `rows`. One pass over the rows: rows of one shape (the same feature names in the same order,
 * the common case) reuse the name → column mapping, so values are read with `Object.values`
 * rather than a keyed lookup per feature.
 */
export function chunkCells(
  rows: readonly FeatureRowData[],
  keyIdOf: (row: FeatureRowData) => string,
): ChunkCells {
  const n = rows.length;
  const slotOf = new Map<string, number>();
  const names: string[] = [];
  const tags: (ColumnTag | null)[] = [];
  const counts: number[] = [];
  const cells: (StoredValue | undefined)[][] = [];
  let shape: string[] = [];
  let slots: number[] = [];
  for (let i = 0; i < n; i++) {
    const values = rows[i]!.values;
    const keys = Object.keys(values);
    if (!sameNames(keys, shape)) {
      shape = keys;
      slots = keys.map((name) => {
        let slot = slotOf.get(name);
        if (slot === undefined) {
          slot = names.length;
          slotOf.set(name, slot);
          names.push(name);
          tags.push(null);
          counts.push(0);
          cells.push(new Array<StoredValue | undefined>(n));
        }
        return slot;
      });
    }
    const row = Object.values(values);
    for (let j = 0; j < row.length; j++) {
      const slot = slots[j]!;
      const value = row[j]!;
      cells[slot]![i] = value;
      counts[slot]!++;
      const tag = tagOf(value);
      const held = tags[slot]!;
      if (tag !== null && held !== tag) tags[slot] = held === null ? tag : 'j';
    }
  }
  const order = names.map((_, slot) => slot).sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
  const layout: FeatureColumn[] = [];
  const columns: DuckDBValue[][] = [rows.map(keyIdOf), rows.map((r) => BigInt(r.timeMs))];
  for (const slot of order) {
    const tag = tags[slot] ?? 'd';
    const presence = counts[slot]! < n;
    layout.push({ feature: names[slot]!, tag, presence });
    const column = cells[slot]!;
    const out = new Array<DuckDBValue>(n);
    for (let i = 0; i < n; i++) out[i] = toCell(column[i], tag);
    columns.push(out);
    if (presence) {
      const present = new Array<DuckDBValue>(n);
      for (let i = 0; i < n; i++) present[i] = column[i] !== undefined;
      columns.push(present);
    }
  }
  return { layout, columns };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** DuckDB column definitions of a chunk table with `layout`. */
export function chunkTableColumns(layout: readonly FeatureColumn[]): {
  names: string[];
  types: DuckDBType[];
} {
  const names = ['key', 'event_time_ms'];
  const types: DuckDBType[] = [VARCHAR, BIGINT];
  for (const column of layout) {
    names.push(valueColumn(column.tag, column.feature));
    types.push(duckType[column.tag]);
    if (column.presence) {
      names.push(presenceColumn(column.feature));
      types.push(BOOLEAN);
    }
  }
  return { names, types };
}

/** The cell of `value` in a column tagged `tag`. */
export function toCell(value: StoredValue | undefined, tag: ColumnTag): DuckDBValue {
  if (value === null || value === undefined) return null;
  return tag === 'j' ? JSON.stringify(value) : (value as DuckDBValue);
}

/** A stored value back from a cell of a column tagged `tag` (null stays null). */
export function fromCell(cell: DuckDBValue, tag: ColumnTag): StoredValue {
  if (cell === null) return null;
  return tag === 'j' ? (JSON.parse(cell as string) as StoredValue) : (cell as StoredValue);
}
