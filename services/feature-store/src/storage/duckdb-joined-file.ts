import type { DuckDBConnection } from '@duckdb/node-api';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import {
  type ChunkFile,
  type HistoryFeature,
  historyColumns,
  historySql,
  narrowOrd,
  ordAtOrBefore,
  wideOrd,
} from './duckdb-history-sql.ts';
import { sqlIdentifier, sqlString } from './duckdb-sql-text.ts';
import type { ChunkRef } from './offline-records.ts';
import { chunksOverlapping, type JoinedFile, type JoinedFilePlan } from './offline-store.ts';

const integers = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/;
const int32s = /^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT)$/;
const numbers =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;
const times = /^(TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE|DATE)$/;
const isoFormat = `'%Y-%m-%dT%H:%M:%S.%fZ'`;
const safeMax = '9007199254740991';
/** Event times RFC 3339 text can hold (years 0001–9999), ms: outside them the in-process path refuses the row. */
const timeBounds = { min: '-62135596800000', max: '253402300799999' };

/** The answer column type and the cell of each feature type this writer takes, from its one tag. */
const featureCells: Partial<Record<ValueType, { type: string; tag: string; cell: (c: string) => string }>> = {
  // +0.0 turns -0 into 0 and non-finite numbers are null, as JSON text has them.
  [ValueType.DOUBLE]: {
    type: 'DOUBLE',
    tag: 'd',
    cell: (c) => `CASE WHEN isfinite(${c}) THEN ${c} + 0.0 END`,
  },
  [ValueType.INT64]: { type: 'BIGINT', tag: 'd', cell: (c) => `${c}::BIGINT` },
  [ValueType.INT32]: { type: 'INTEGER', tag: 'd', cell: (c) => `${c}::INTEGER` },
  [ValueType.BOOL]: { type: 'BOOLEAN', tag: 'b', cell: (c) => c },
  [ValueType.STRING]: { type: 'VARCHAR', tag: 's', cell: (c) => c },
};

/**
 * `history` with its `key` (the entity id text, `[<integer>]` for one integer key) as that BIGINT,
 * NULL (no match) for any text other than the one the frame's integer spells: an integer
 * equality sorts faster than a text one in the ASOF join and matches exactly the same rows.
 */
const integerKeyed = (history: string) => `SELECT * REPLACE (
    CASE WHEN key = '[' || TRY_CAST(key[2:-2] AS BIGINT)::VARCHAR || ']' THEN TRY_CAST(key[2:-2] AS BIGINT) END AS key
  ) FROM (${history})`;

/**
 * Writes the point-in-time join of `plan` with DuckDB alone: the frame is read by `read_parquet`,
 * joined per view by one `ASOF LEFT JOIN` over its chunk files (`chunkFiles`), and the answer — in the
 * frame's row order, typed as `encodeTableParquet` types it — goes to `plan.outPath` by `COPY … TO`,
 * so no row passes through JavaScript. Undefined, with nothing written, when the frame or the
 * features hold what only the in-process path decides cell for cell (a null or unsafe key, an
 * event time that is not a timestamp, a list column, a feature stored with mixed types, …) or
 * would refuse (a missing column, a collision): the caller then builds the table in process.
 */
export async function writeJoinedFile(
  connection: DuckDBConnection,
  plan: JoinedFilePlan,
  chunkFiles: (view: string, chunks: readonly ChunkRef[]) => Promise<ChunkFile[]>,
): Promise<JoinedFile | undefined> {
  const source = `read_parquet(${sqlString(plan.framePath)}, file_row_number = true)`;
  let schema: Map<string, string>;
  try {
    const described = await connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${sqlString(plan.framePath)})`,
    );
    schema = new Map(described.getRows().map(([name, type]) => [name as string, type as string]));
  } catch {
    return undefined;
  }
  const timeType = schema.get('event_time');
  if (timeType === undefined || !times.test(timeType)) return undefined;
  const keyCells: string[] = [];
  const keyIds = new Map<string, string>();
  /** Integer join keys as BIGINT: a view of one such key is joined on it, not on its text. */
  const intKeys = new Map<string, string>();
  const unsafeKeys: string[] = [];
  for (const [i, key] of plan.joinKeys.entries()) {
    const type = schema.get(key.name);
    const column = `k${i}`;
    if (type === undefined) return undefined;
    if (key.valueType === ValueType.STRING && type === 'VARCHAR') {
      keyCells.push(`${column} AS ${sqlIdentifier(key.name)}`);
      keyIds.set(key.name, `to_json(${column})::VARCHAR`);
      // DuckDB's JSON spells \u001F where JSON.stringify (the entity ids of history) spells \u001f.
      unsafeKeys.push(`regexp_matches(${column}, '[[:cntrl:]]')`);
    } else if (
      (key.valueType === ValueType.INT64 && integers.test(type)) ||
      (key.valueType === ValueType.INT32 && int32s.test(type))
    ) {
      keyCells.push(
        `${column}::${key.valueType === ValueType.INT64 ? 'BIGINT' : 'INTEGER'} AS ${sqlIdentifier(key.name)}`,
      );
      keyIds.set(key.name, `${column}::VARCHAR`);
      intKeys.set(key.name, `${column}::BIGINT`);
      if (type === 'BIGINT') unsafeKeys.push(`${column} NOT BETWEEN -${safeMax} AND ${safeMax}`);
    } else return undefined;
  }
  const keyNames = new Set(plan.joinKeys.map((k) => k.name));
  const passThrough = [...schema.keys()].filter((c) => c !== 'event_time' && !keyNames.has(c));
  const passTypes: string[] = [];
  for (const name of passThrough) {
    const type = schema.get(name)!;
    if (
      plan.reserved.has(name) ||
      !(numbers.test(type) || times.test(type) || type === 'VARCHAR' || type === 'BOOLEAN')
    )
      return undefined;
    passTypes.push(type);
    if (type === 'BIGINT') unsafeKeys.push(`p${passTypes.length - 1} NOT BETWEEN -${safeMax} AND ${safeMax}`);
  }

  await connection.run(
    `CREATE TEMP TABLE frame AS SELECT file_row_number AS ix,
       ${plan.joinKeys.map((k, i) => `${sqlIdentifier(k.name)} AS k${i}, `).join('')}
       CASE WHEN isfinite(event_time::TIMESTAMP) THEN floor(epoch_us(event_time::TIMESTAMP) / 1000)::BIGINT END AS t
       ${passThrough.map((name, i) => `, ${sqlIdentifier(name)} AS p${i}`).join('')}
     FROM ${source}`,
  );
  const nullKeys = [
    ...plan.joinKeys.map((_, i) => `k${i} IS NULL`),
    't IS NULL',
    `t NOT BETWEEN ${timeBounds.min} AND ${timeBounds.max}`,
  ];
  const stats = await connection.runAndReadAll(
    `SELECT count(*)::BIGINT, count(*) FILTER (WHERE ${[...nullKeys, ...unsafeKeys].join(' OR ')})::BIGINT, min(t), max(t)
       ${passThrough.map((_, i) => `, count(p${i})::BIGINT`).join('')}
     FROM frame`,
  );
  const [rows, refused, minT, maxT, ...present] = stats.getRows()[0]! as bigint[];
  if (rows === 0n || refused! > 0n) return undefined;
  const minTimeMs = Number(minT);
  const maxTimeMs = Number(maxT);

  const passCells = passThrough.map((name, i) => {
    const type = passTypes[i]!;
    const column = `f.p${i}`;
    // As the in-process path reads a Parquet frame: numbers as DOUBLE, times as RFC 3339 text,
    // and a column with no value at all as VARCHAR.
    const cell =
      present[i] === 0n
        ? 'NULL::VARCHAR'
        : numbers.test(type)
          ? `CASE WHEN isfinite(${column}::DOUBLE) THEN ${column}::DOUBLE + 0.0 END`
          : times.test(type)
            ? `strftime(${column}::TIMESTAMP, ${isoFormat})`
            : column;
    return `${cell} AS ${sqlIdentifier(name)}`;
  });

  const joins: string[] = [];
  const lookupKeys: string[] = [];
  const featureCell = new Map<string, string>();
  for (const [v, view] of plan.views.entries()) {
    const wanted = plan.features.filter((f) => f.view === view.name);
    const from = view.ttlMs === null ? null : minTimeMs - view.ttlMs;
    const chunks = chunksOverlapping(view.chunks, from, maxTimeMs);
    const files = chunks.length === 0 ? [] : await chunkFiles(view.name, chunks);
    const columns = historyColumns(
      files,
      wanted.map((f) => f.name),
    );
    const byName = new Map<string, HistoryFeature>(columns.features.map((f) => [f.name, f]));
    const ttl = view.ttlMs === null ? undefined : Math.trunc(view.ttlMs);
    let joined = false;
    for (const feature of wanted) {
      const held = byName.get(feature.name)!;
      const writer = featureCells[feature.valueType];
      if (!writer || held.values.some((c) => c.tag !== writer.tag)) return undefined;
      const value = held.values[0];
      if (files.length === 0 || value === undefined) {
        featureCell.set(feature.ref, `NULL::${writer.type}`);
        continue;
      }
      // A row older than the TTL is no match, not an older one (as the adapter's joinAsOf).
      const cell = writer.cell(`v${v}.${value.column}`);
      const live = ttl === undefined ? cell : `CASE WHEN v${v}.t >= f.t - ${ttl} THEN ${cell} END`;
      featureCell.set(feature.ref, `(${live})::${writer.type}`);
      joined = true;
    }
    if (!joined) continue;
    const intKey = view.joinKeys.length === 1 ? intKeys.get(view.joinKeys[0]!) : undefined;
    lookupKeys.push(
      `${intKey ?? `'[' || ${view.joinKeys.map((name) => keyIds.get(name)!).join(` || ',' || `)} || ']'`} AS key${v}`,
    );
    // The rows a lookup can match lie in [from, maxTimeMs]; with no TTL, from the oldest chunk on
    // (chunk refs bound their rows' times, as chunksOverlapping trusts).
    const oldest = Math.min(...chunks.map((c) => c.minTimeMs));
    const range = { fromMs: from ?? oldest, toMs: maxTimeMs };
    const maxRows = Math.max(...chunks.map((c) => c.rows));
    const ord = narrowOrd(files, maxRows, Math.min(range.fromMs, minTimeMs), maxTimeMs) ?? wideOrd;
    // Per lookup, the history row of greatest `ord` (time, then write order) at or before its time:
    // one ASOF LEFT JOIN straight on the frame, no join back to it.
    const history = historySql(files, columns, range, ord);
    joins.push(`ASOF LEFT JOIN (${intKey === undefined ? history : integerKeyed(history)}) v${v}
        ON f.key${v} = v${v}.key AND ${ordAtOrBefore(ord, 'f.t')} >= v${v}.ord`);
  }
  const out = [
    ...keyCells.map((c) => `f.${c}`),
    'epoch_ms(f.t) AS event_time',
    ...passCells,
    ...plan.features.map((f) => `${featureCell.get(f.ref)!} AS ${sqlIdentifier(f.ref)}`),
  ];
  const framed = lookupKeys.length === 0 ? 'frame' : `(SELECT *, ${lookupKeys.join(', ')} FROM frame)`;
  await connection.run(
    `COPY (SELECT ${out.join(', ')} FROM ${framed} f ${joins.join('\n')} ORDER BY f.ix)
     TO ${sqlString(plan.outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
  );
  return { rows: Number(rows), minTimeMs, maxTimeMs, passThrough };
}
