import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  VARCHAR,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { StoredValue } from '../values/feature-values.ts';
import { sqlString } from './duckdb-sql-text.ts';

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

/**
 * The `COPY … TO` options of every chunk file, whoever writes it (equal rows give equal bytes).
 * LZ4, by measurement (bench/feature-store/chunk-codec-bench.ts): a 50 000-row × 50-feature chunk
 * writes faster than with zstd or snappy for a file ≈ 40 % larger than zstd's; reads are alike.
 * No dictionary pages: DuckDB would try one per column and drop it once values are mostly
 * distinct, as measured features are — ≈ 40 % of the write for a file 1 % larger.
 */
export const chunkCopyOptions = (view: string) =>
  `FORMAT parquet, COMPRESSION lz4, DICTIONARY_SIZE_LIMIT 1, KV_METADATA {${viewKey}: ${sqlString(view)}, ${layoutKey}: ${sqlString(layoutVersion)}}`;

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

/**
 * The feature columns of a chunk of `rows`, sorted by name (so equal rows give equal files), with
 * each one's position in the chunk table (`valueAt`, and `presenceAt` when it has one).
 */
export interface ChunkLayout {
  readonly columns: readonly FeatureColumn[];
  readonly valueAt: ReadonlyMap<string, number>;
  readonly presenceAt: ReadonlyMap<string, number>;
}

export function chunkLayout(rows: readonly FeatureRowData[]): ChunkLayout {
  const slotOf = new Map<string, number>();
  const names: string[] = [];
  const tags: (ColumnTag | null)[] = [];
  const counts: number[] = [];
  const shape = new ShapeCache();
  for (const row of rows) {
    const values = row.values;
    let j = 0;
    for (const name in values) {
      let slot = shape.slot(j, name);
      if (slot === undefined) {
        slot = slotOf.get(name);
        if (slot === undefined) {
          slot = names.length;
          slotOf.set(name, slot);
          names.push(name);
          tags.push(null);
          counts.push(0);
        }
        shape.set(j, name, slot);
      }
      j++;
      counts[slot]!++;
      const tag = tagOf(values[name]!);
      const held = tags[slot]!;
      if (tag !== null && held !== tag) tags[slot] = held === null ? tag : 'j';
    }
  }
  const columns: FeatureColumn[] = [];
  const valueAt = new Map<string, number>();
  const presenceAt = new Map<string, number>();
  let at = 2;
  const order = names.map((_, slot) => slot).sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
  for (const slot of order) {
    const feature = names[slot]!;
    const presence = counts[slot]! < rows.length;
    columns.push({ feature, tag: tags[slot] ?? 'd', presence });
    valueAt.set(feature, at++);
    if (presence) presenceAt.set(feature, at++);
  }
  return { columns, valueAt, presenceAt };
}

/**
 * Remembers which column the j-th field name of the last rows went to: rows of one shape (the
 * same names in the same order, the common case) then map fields by a string identity check
 * instead of a hash lookup each.
 */
class ShapeCache {
  private readonly names: string[] = [];
  private readonly slots: number[] = [];

  slot(j: number, name: string): number | undefined {
    return this.names[j] === name ? this.slots[j] : undefined;
  }

  set(j: number, name: string, slot: number): void {
    this.names.length = this.slots.length = j;
    this.names.push(name);
    this.slots.push(slot);
  }
}

/**
 * Writes `rows` into `chunk` (a data chunk of the chunk table's types, `rows.length` ≤ its size):
 * one pass over each row's fields into whole typed columns (Float64Array, Uint8Array booleans,
 * BigInt64Array times, a validity bitmap each), then one copy per column into its DuckDB vector.
 * This goes through @duckdb/node-bindings because the node-api vectors' `setItem` updates the
 * validity mask with BigInt arithmetic per cell — most of ingest's time and garbage.
 * Note (write path): the input is row objects, and walking them is most of what is left of
 * ingest's CPU (bench/README.md). A Parquet batch source skips this (duckdb-dataset-chunks.ts
 * writes the same chunk files from the file in SQL); JSON Lines / CSV datasets and IngestStream
 * rows still come here as rows.
 */
export function fillChunk(
  chunk: DuckDBDataChunk,
  rows: readonly FeatureRowData[],
  layout: ChunkLayout,
  keyIdOf: (row: FeatureRowData) => string,
): void {
  const count = rows.length;
  const raw = Array.from({ length: chunk.columnCount }, (_, i) =>
    duckdb.data_chunk_get_vector(chunk.chunk, i),
  );
  const tags = layout.columns.map((c) => c.tag);
  const slotOf = new Map<string, number>(layout.columns.map((c, i) => [c.feature, i]));
  const slotCount = tags.length;
  const valueVector = layout.columns.map((c) => raw[layout.valueAt.get(c.feature)!]!);
  const presenceVector = layout.columns.map((c) => {
    const at = layout.presenceAt.get(c.feature);
    return at === undefined ? undefined : raw[at];
  });
  const doubles = tags.map((tag) => (tag === 'd' ? new Float64Array(count) : undefined));
  const booleans = tags.map((tag) => (tag === 'b' ? new Uint8Array(count) : undefined));
  const present = presenceVector.map((v) => (v === undefined ? undefined : new Uint8Array(count)));
  // Validity bitmaps: DuckDB's 64-bit little-endian words, seen as 32-bit halves; a set bit is valid.
  const words = Math.ceil(count / 64) * 2;
  const validity = tags.map(() => new Uint32Array(words).fill(0xffffffff));
  const hasNull = new Uint8Array(slotCount);
  const times = new BigInt64Array(count);
  const keys = raw[0]!;
  const shape = new ShapeCache();
  // The last row that set each column: a cell a row does not set is NULL (and not present).
  const setIn = new Int32Array(slotCount).fill(-1);
  const setNull = (slot: number, i: number) => {
    validity[slot]![i >>> 5]! &= ~(1 << (i & 31));
    hasNull[slot] = 1;
  };
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    duckdb.vector_assign_string_element(keys, i, keyIdOf(row));
    times[i] = BigInt(row.timeMs);
    const values = row.values;
    let j = 0;
    for (const name in values) {
      let slot = shape.slot(j, name);
      if (slot === undefined) {
        slot = slotOf.get(name)!;
        shape.set(j, name, slot);
      }
      j++;
      setIn[slot] = i;
      const cell = values[name]!;
      const p = present[slot];
      if (p) p[i] = 1;
      if (cell === null) {
        setNull(slot, i);
        continue;
      }
      switch (tags[slot]) {
        case 'd':
          doubles[slot]![i] = cell as number;
          break;
        case 'b':
          booleans[slot]![i] = cell ? 1 : 0;
          break;
        case 's':
          duckdb.vector_assign_string_element(valueVector[slot]!, i, cell as string);
          break;
        default:
          duckdb.vector_assign_string_element(valueVector[slot]!, i, JSON.stringify(cell));
      }
    }
    if (j < slotCount) {
      for (let slot = 0; slot < slotCount; slot++) if (setIn[slot] !== i) setNull(slot, i);
    }
  }
  duckdb.copy_data_to_vector(raw[1]!, 0, times.buffer, 0, times.byteLength);
  for (let slot = 0; slot < slotCount; slot++) {
    const vector = valueVector[slot]!;
    const data = doubles[slot] ?? booleans[slot];
    if (data) duckdb.copy_data_to_vector(vector, 0, data.buffer, 0, data.byteLength);
    if (hasNull[slot]) {
      duckdb.vector_ensure_validity_writable(vector);
      const bits = validity[slot]!;
      duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer, 0, bits.byteLength);
    }
    const p = present[slot];
    if (p) duckdb.copy_data_to_vector(presenceVector[slot]!, 0, p.buffer, 0, p.byteLength);
  }
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

/** A stored value back from a cell of a column tagged `tag` (null stays null). */
export function fromCell(cell: DuckDBValue, tag: ColumnTag): StoredValue {
  if (cell === null) return null;
  return tag === 'j' ? (JSON.parse(cell as string) as StoredValue) : (cell as StoredValue);
}
