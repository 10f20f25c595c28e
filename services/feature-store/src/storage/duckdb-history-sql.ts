import { sqlIdentifier, sqlString } from './duckdb-sql-text.ts';
import { type ColumnTag, parseColumn, presenceColumn, sqlType, valueColumn } from './parquet-chunk-layout.ts';

/** A chunk file to read: its local path, its position in write order, and its Parquet columns. */
export interface ChunkFile {
  readonly path: string;
  readonly ix: number;
  readonly columns: readonly string[];
}

/** One feature in a history query: its value columns (one per tag its chunks use) and whether rows may not set it. */
export interface HistoryFeature {
  readonly name: string;
  readonly values: readonly { readonly column: string; readonly tag: ColumnTag }[];
  /** Alias of a BOOLEAN column, true where the row sets the feature; undefined when every row does. */
  readonly presence: string | undefined;
}

/** The feature columns of a history query, and their aliases in select order. */
export interface HistoryColumns {
  readonly features: readonly HistoryFeature[];
  readonly select: readonly string[];
}

/** `ord` = event time × 2^40 + chunk position × 2^20 + row in chunk (see {@link historySql}). */
export const ordTimeScale = 1n << 40n;

/**
 * How a history query spells `ord`: (event time − `baseMs`) × `timeScale` + chunk position ×
 * `fileScale` + row in chunk, as `type`. Any order that keeps (time, chunk position, row) in
 * lexicographic order picks the same row; a narrower one sorts faster.
 */
export interface OrdSpelling {
  readonly type: 'HUGEINT' | 'BIGINT';
  readonly baseMs: number;
  readonly timeScale: bigint;
  readonly fileScale: bigint;
}

/** The spelling for any event time: HUGEINT, chunk rows < 2^20. */
export const wideOrd: OrdSpelling = {
  type: 'HUGEINT',
  baseMs: 0,
  timeScale: ordTimeScale,
  fileScale: 1n << 20n,
};

const bitsFor = (n: number) => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/**
 * A BIGINT spelling for `files` (most `maxRows` rows each) and event times in [`fromMs`, `toMs`]
 * — both the history rows and the lookup times — or undefined when it would not fit in 62 bits.
 * A BIGINT sort key is about half the ASOF join's work of a HUGEINT one.
 */
export function narrowOrd(
  files: readonly ChunkFile[],
  maxRows: number,
  fromMs: number,
  toMs: number,
): OrdSpelling | undefined {
  const rowBits = bitsFor(maxRows);
  const fileBits = bitsFor(Math.max(0, ...files.map((f) => f.ix)) + 1);
  const span = BigInt(Math.trunc(toMs)) - BigInt(Math.trunc(fromMs)) + 1n;
  const timeScale = 1n << BigInt(rowBits + fileBits);
  if (span <= 0n || span * timeScale >= 1n << 62n) return undefined;
  return { type: 'BIGINT', baseMs: Math.trunc(fromMs), timeScale, fileScale: 1n << BigInt(rowBits) };
}

/** The greatest `ord` of `ord`'s spelling at or before the event time `t` (ms, SQL). */
export function ordAtOrBefore(ord: OrdSpelling, t: string): string {
  const shifted = ord.baseMs === 0 ? `${t}::${ord.type}` : `(${t} - ${ord.baseMs})::${ord.type}`;
  return `${shifted} * ${ord.timeScale} + ${ord.timeScale - 1n}`;
}

const tagOrder: readonly ColumnTag[] = ['d', 's', 'b', 'j'];

/** The history columns over `files` for `wanted` features (all the files hold when undefined). */
export function historyColumns(
  files: readonly ChunkFile[],
  wanted: readonly string[] | undefined,
): HistoryColumns {
  const tags = new Map<string, Set<ColumnTag>>();
  const marked = new Set<string>();
  for (const file of files) {
    for (const name of file.columns) {
      const parsed = parseColumn(name);
      if (!parsed) continue;
      if (parsed.kind === 'p') marked.add(parsed.feature);
      else {
        const held = tags.get(parsed.feature);
        if (held) held.add(parsed.kind);
        else tags.set(parsed.feature, new Set([parsed.kind]));
      }
    }
  }
  const names = wanted ? [...new Set(wanted)] : [...tags.keys()].sort();
  const select: string[] = [];
  const features = names.map((name): HistoryFeature => {
    const used = tags.get(name) ?? new Set<ColumnTag>();
    const values = tagOrder
      .filter((tag) => used.has(tag))
      .map((tag) => {
        const column = `c${select.length}`;
        select.push(column);
        return { column, tag };
      });
    // Rows may lack the feature when a chunk marks it, or a chunk has no column for it at all.
    const partial =
      marked.has(name) ||
      values.length === 0 ||
      files.some((f) => !values.some((v) => f.columns.includes(valueColumn(v.tag, name))));
    let presence: string | undefined;
    if (partial) {
      presence = `c${select.length}`;
      select.push(presence);
    }
    return { name, values, presence };
  });
  return { features, select };
}

/**
 * SELECT of every row of `files` with `key`, `t` (event time), `ix` (chunk position), `rn` (row in
 * the chunk), `ord` (by default HUGEINT t·2^40 + ix·2^20 + rn, see {@link OrdSpelling}: orders rows
 * by time, then write order, so the greatest `ord` at or before a time is the row a point-in-time
 * lookup wants) and `columns`.
 * Files of one column set are read by one `read_parquet`; a file lacking a feature's column
 * yields NULL (and `false` presence) for it. `range` (inclusive ms) keeps only rows whose event
 * time lies in it; `ord` is unchanged, so the rows kept order as before.
 */
export function historySql(
  files: readonly ChunkFile[],
  columns: HistoryColumns,
  range?: { readonly fromMs: number | null; readonly toMs: number },
  ord: OrdSpelling = wideOrd,
): string {
  // Rows outside the range are dropped at the scan (row groups pruned by their min/max stats).
  const within =
    range === undefined
      ? ''
      : `WHERE p.event_time_ms <= ${Math.trunc(range.toMs)}${range.fromMs === null ? '' : ` AND p.event_time_ms >= ${Math.trunc(range.fromMs)}`}`;
  const time = ord.baseMs === 0 ? 'p.event_time_ms' : `(p.event_time_ms - ${ord.baseMs})`;
  const groups = new Map<string, ChunkFile[]>();
  for (const file of files) {
    const signature = file.columns.join('\u0000');
    const group = groups.get(signature);
    if (group) group.push(file);
    else groups.set(signature, [file]);
  }
  const selects = [...groups.values()].map((group) => {
    const has = new Set(group[0]!.columns);
    const cells: string[] = [];
    for (const feature of columns.features) {
      let any = false;
      for (const { column, tag } of feature.values) {
        const name = valueColumn(tag, feature.name);
        any ||= has.has(name);
        cells.push(`${has.has(name) ? `p.${sqlIdentifier(name)}` : `NULL::${sqlType[tag]}`} AS ${column}`);
      }
      if (feature.presence !== undefined) {
        const marker = presenceColumn(feature.name);
        cells.push(
          `${has.has(marker) ? `p.${sqlIdentifier(marker)}` : any ? 'true' : 'false'} AS ${feature.presence}`,
        );
      }
    }
    const paths = group.map((f) => sqlString(f.path)).join(', ');
    // A file's chunk position from its place in the list (`file_index`): an offset when the
    // positions run consecutively, else a lookup in their list — no join on the file name.
    const consecutive = group.every((f, k) => f.ix === group[0]!.ix + k);
    const ix = consecutive
      ? `(p.file_index::BIGINT + ${group[0]!.ix})`
      : `[${group.map((f) => f.ix).join(', ')}][p.file_index::BIGINT + 1]::BIGINT`;
    return `SELECT p.key, p.event_time_ms AS t, ${ix} AS ix, p.file_row_number AS rn,
        ${time}::${ord.type} * ${ord.timeScale} + ${ix}::${ord.type} * ${ord.fileScale} + p.file_row_number AS ord
        ${cells.map((c) => `, ${c}`).join('')}
      FROM read_parquet([${paths}], file_row_number = true) p ${within}`;
  });
  return selects.join('\nUNION ALL\n');
}
