import type { BlobStore } from '@flywheel/blobs';
import { AppError, type CallOptions } from '@flywheel/core';
import type { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { keyIdOf } from '../values/entity-keys.ts';
import { isoOf } from '../values/event-times.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { KeyScalar, StoredValue } from '../values/feature-values.ts';
import type { JoinKeyRecord } from '../values/feature-view-records.ts';
import { type Pause, timeSlice } from '../values/time-slice.ts';
import { mapConcurrent } from './map-concurrent.ts';
import type { ChunkRef } from './offline-records.ts';
import { type EntityUpdate, latestPerEntity } from './online-store.ts';
import { type AsOf, pointInTimeJoinSliced } from './point-in-time-join.ts';

/** A row read back from the offline store, with its entity id and its write order (`seq`). */
export interface HistoryRow extends FeatureRowData {
  readonly keyId: string;
  /** Increases with write order: of two rows with the same entity and time, the higher seq wins. */
  readonly seq: number;
}

/** The feature values a point-in-time lookup found: only the features that row set. */
export type JoinedValues = Readonly<Record<string, StoredValue>>;

/** Options of a point-in-time join. */
export interface JoinOptions extends CallOptions {
  /** Only these features come back; unset means every feature the history holds. */
  readonly features?: readonly string[];
}

/**
 * A slice of a join's answer as columns: the lookups (positions in `lookups`) that found a row,
 * and per feature their values aligned with them — undefined where the row found did not set it.
 * Lookups without a row are in no slice; each lookup is in at most one.
 */
export interface JoinedChunk {
  readonly lookupIndexes: ArrayLike<number>;
  readonly values: ReadonlyMap<string, readonly (StoredValue | undefined)[]>;
}

/** A point-in-time join the adapter writes as a file itself: entity frame file in, answer file out. */
export interface JoinedFilePlan {
  /** The entity dataframe: a local Parquet file (join-key columns, `event_time`, the rest passed through). */
  readonly framePath: string;
  /** Every join key the features need, with its merged type, in answer order. */
  readonly joinKeys: readonly JoinKeyRecord[];
  /** Names a pass-through column may not have (join keys, `event_time`, the features' refs). */
  readonly reserved: ReadonlySet<string>;
  /** The views read: all their chunks in write order (pruned to the frame's time range here). */
  readonly views: readonly {
    readonly name: string;
    readonly chunks: readonly ChunkRef[];
    readonly ttlMs: number | null;
    readonly joinKeys: readonly string[];
  }[];
  /** The answer's feature columns, in order. */
  readonly features: readonly {
    readonly ref: string;
    readonly view: string;
    readonly name: string;
    readonly valueType: ValueType;
  }[];
  /** Where the answer is written, as Parquet (zstd). */
  readonly outPath: string;
}

/** What {@link JoinedFilePlan} wrote: its rows, the frame's event-time range and pass-through columns. */
export interface JoinedFile {
  readonly rows: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly passThrough: readonly string[];
}

/** A Parquet dataset file to write as a view's chunks without reading it into rows. */
export interface DatasetChunksPlan {
  readonly view: string;
  /** The dataset: a local Parquet file. */
  readonly path: string;
  /** The view's join keys, in order: the file's column and the key's type. */
  readonly keys: readonly { readonly column: string; readonly valueType: ValueType }[];
  /** The event-time column. */
  readonly timeColumn: string;
  /** The view's features: the file's column (a feature whose column the file lacks is left out), name, type. */
  readonly features: readonly {
    readonly column: string;
    readonly name: string;
    readonly valueType: ValueType;
  }[];
  /** The latest event time allowed (now + the future skew), epoch ms. */
  readonly latestMs: number;
}

/** What {@link OfflineStore.writeDatasetChunks} wrote: its chunks (in write order) and their rows' time range. */
export interface DatasetChunks {
  readonly chunks: readonly ChunkRef[];
  readonly rows: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
}

/** Options of {@link OfflineStore.latestInWindow}. */
export interface LatestOptions extends CallOptions {
  /** Most entities per yielded batch (default 1 000). */
  readonly batchEntities?: number;
}

/**
 * The offline store: a view's history as append-only, content-addressed chunks in the shared blob
 * store. Two adapters keep one contract (test/offline-store-contract.test.ts): `document` (JSON
 * Lines chunks, joined in this process) and `duckdb` (Parquet chunks, joined by DuckDB).
 */
export interface OfflineStore {
  /**
   * Writes `rows` as chunks of at most `chunkRows` rows, sorted by event time so each chunk covers
   * a narrow range. Content-addressed: writing the same rows again yields the same refs.
   */
  writeChunks(view: string, rows: readonly FeatureRowData[], options?: CallOptions): Promise<ChunkRef[]>;
  /** The rows of `chunks` (given in write order), verified against their digests (`data_loss` otherwise). */
  readHistory(view: string, chunks: readonly ChunkRef[], options?: CallOptions): Promise<HistoryRow[]>;
  /**
   * Point-in-time join of the rows of `chunks` (in write order) to `lookups`, with the semantics of
   * {@link pointInTimeJoin}: latest row of the entity at or before the lookup's time, within
   * `ttlMs` when set, the later write winning a tie. Aligned with `lookups`.
   */
  joinAsOf(
    view: string,
    chunks: readonly ChunkRef[],
    lookups: readonly AsOf[],
    ttlMs: number | null,
    options?: JoinOptions,
  ): Promise<(JoinedValues | undefined)[]>;
  /**
   * The same join as {@link joinAsOf}, streamed as column slices (bounded memory in the adapter:
   * the duckdb one reads DuckDB's result a vector at a time).
   */
  joinAsOfChunks(
    view: string,
    chunks: readonly ChunkRef[],
    lookups: readonly AsOf[],
    ttlMs: number | null,
    options?: JoinOptions,
  ): AsyncIterable<JoinedChunk>;
  /**
   * What Materialize writes online: per entity, the latest value of each feature among the rows of
   * `chunks` with event time in [fromMs, toMs) (fromMs null = unbounded), the later write winning
   * a tie — {@link latestPerEntity} of those rows in write order — in batches of entities.
   */
  latestInWindow(
    view: string,
    chunks: readonly ChunkRef[],
    fromMs: number | null,
    toMs: number,
    options?: LatestOptions,
  ): AsyncIterable<EntityUpdate[]>;
  /**
   * Only the duckdb adapter: the point-in-time join of `plan` (the semantics of {@link joinAsOf})
   * written to `plan.outPath` as the Parquet file `encodeTableParquet` makes of the same table,
   * without the rows passing through this process. Undefined, with nothing written, when the frame
   * or the features are outside what it takes; the caller then joins in process.
   */
  writeJoinedFile?(plan: JoinedFilePlan, options?: CallOptions): Promise<JoinedFile | undefined>;
  /**
   * Only the duckdb adapter: the chunks {@link writeChunks} would write of the rows of the Parquet
   * dataset `plan.path`, written by DuckDB from the file (no row in this process). Undefined, with
   * nothing written, when the file is outside the plain case it takes or fails a check (a missing
   * or null key or time, a mistyped column, a time past `latestMs`…); the caller then reads the
   * file as rows, whose checks name the row and column.
   */
  writeDatasetChunks?(plan: DatasetChunksPlan, options?: CallOptions): Promise<DatasetChunks | undefined>;
  /**
   * Only the duckdb adapter: per entity, the latest values of a Parquet dataset file's rows in
   * [fromMs, toMs), as {@link latestInWindow} would give them after {@link writeDatasetChunks} of
   * that file — read from the file in place, nothing written — handed to `apply` a batch at a time.
   * Undefined, with nothing handed over, when writeDatasetChunks would not take the file (same
   * checks, over every row); else the file's row count.
   */
  latestInDatasetFile?(
    plan: DatasetChunksPlan,
    fromMs: number | null,
    toMs: number,
    apply: (updates: EntityUpdate[]) => Promise<void>,
    options?: LatestOptions,
  ): Promise<{ rows: number } | undefined>;
  /** Removes the chunk blobs (absent ones are ignored). */
  deleteChunks(chunks: readonly ChunkRef[], options?: CallOptions): Promise<void>;
  /** Releases what the adapter holds (the DuckDB instance); the document adapter holds nothing. */
  close(): Promise<void>;
}

export interface OfflineStoreOptions {
  blobs: BlobStore;
  /** Most rows per chunk. */
  chunkRows: number;
}

interface ChunkHeader {
  feature_view: string;
  rows: number;
}

interface ChunkLine {
  key: KeyScalar[];
  event_time: string;
  values: Record<string, StoredValue>;
}

/**
 * Chunk format: a header line `{"feature_view":…,"rows":…}` (so chunks of different views never
 * share a digest and deleting one view's chunks cannot touch another's), then one line per row
 * `{"key":[…],"event_time":"<RFC 3339>","values":{…}}`.
 */
export function createOfflineStore(options: OfflineStoreOptions): OfflineStore {
  const { blobs, chunkRows } = options;
  const encoder = new TextEncoder();

  const encode = (view: string, rows: readonly FeatureRowData[]): Uint8Array => {
    const header: ChunkHeader = { feature_view: view, rows: rows.length };
    const lines = [JSON.stringify(header)];
    for (const row of rows) {
      const line: ChunkLine = { key: [...row.key], event_time: isoOf(row.timeMs), values: { ...row.values } };
      lines.push(JSON.stringify(line));
    }
    return encoder.encode(`${lines.join('\n')}\n`);
  };

  const decode = async (
    view: string,
    chunk: ChunkRef,
    bytes: Uint8Array,
    pause: Pause,
  ): Promise<FeatureRowData[]> => {
    if (isParquet(bytes)) {
      throw new AppError(
        'failed_precondition',
        `offline chunk ${chunk.sha256} of feature view ${view} is Parquet, written by the duckdb offline store; set FLYWHEEL_FEATURE_STORE_OFFLINE=duckdb`,
      );
    }
    const lines = new TextDecoder()
      .decode(bytes)
      .split('\n')
      .filter((l) => l !== '');
    const header = JSON.parse(lines[0] ?? '{}') as Partial<ChunkHeader>;
    if (header.feature_view !== view || header.rows !== lines.length - 1) {
      throw new AppError(
        'data_loss',
        `offline chunk ${chunk.sha256} does not belong to feature view ${view}`,
      );
    }
    const rows: FeatureRowData[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = JSON.parse(lines[i]!) as ChunkLine;
      rows.push({ key: line.key, timeMs: Date.parse(line.event_time), values: line.values });
      await pause();
    }
    return rows;
  };

  // Decoding and joining 100k rows takes seconds of CPU: done in time slices so online lookups
  // and writes keep being served meanwhile.
  const readHistory = async (view: string, chunks: readonly ChunkRef[], callOptions: CallOptions = {}) => {
    const pause = timeSlice();
    const decoded = await mapConcurrent(chunks, 8, async (chunk) =>
      decode(view, chunk, await blobs.getBytes(chunk.sha256, callOptions), pause),
    );
    const history: HistoryRow[] = [];
    let seq = 0;
    for (const rows of decoded) {
      for (const row of rows) {
        history.push({ ...row, keyId: keyIdOf(row.key), seq: seq++ });
        await pause();
      }
    }
    return history;
  };

  const joinAsOf = async (
    view: string,
    chunks: readonly ChunkRef[],
    lookups: readonly AsOf[],
    ttlMs: number | null,
    callOptions: JoinOptions = {},
  ): Promise<(JoinedValues | undefined)[]> => {
    const history = await readHistory(view, chunks, callOptions);
    const wanted = callOptions.features;
    const joined = await pointInTimeJoinSliced(history, lookups, ttlMs, timeSlice());
    return joined.map((row) => {
      if (!row || !wanted) return row?.values;
      const values: Record<string, StoredValue> = {};
      for (const name of wanted) if (name in row.values) values[name] = row.values[name]!;
      return values;
    });
  };

  return {
    async writeChunks(view, rows, callOptions = {}) {
      const sorted = [...rows].sort((a, b) => a.timeMs - b.timeMs);
      const refs: ChunkRef[] = [];
      for (let start = 0; start < sorted.length; start += chunkRows) {
        const part = sorted.slice(start, start + chunkRows);
        const ref = await blobs.put(encode(view, part), {
          ...callOptions,
          contentType: 'application/x-ndjson',
        });
        refs.push({
          sha256: ref.sha256,
          sizeBytes: ref.size,
          rows: part.length,
          minTimeMs: part[0]!.timeMs,
          maxTimeMs: part.at(-1)!.timeMs,
        });
      }
      return refs;
    },

    readHistory,

    joinAsOf,

    async *joinAsOfChunks(view, chunks, lookups, ttlMs, callOptions = {}) {
      yield* chunksOf(await joinAsOf(view, chunks, lookups, ttlMs, callOptions), callOptions.features);
    },

    async *latestInWindow(view, chunks, fromMs, toMs, callOptions = {}) {
      const rows = (await readHistory(view, chunks, callOptions)).filter(
        (r) => (fromMs === null || r.timeMs >= fromMs) && r.timeMs < toMs,
      );
      const updates = latestPerEntity(rows);
      const size = callOptions.batchEntities ?? defaultBatchEntities;
      for (let start = 0; start < updates.length; start += size) yield updates.slice(start, start + size);
    },

    async deleteChunks(chunks, callOptions = {}) {
      await mapConcurrent(chunks, 8, (chunk) => blobs.delete(chunk.sha256, callOptions));
    },

    async close() {},
  };
}

const defaultBatchEntities = 1000;
const sliceRows = 2048;

/** A joined answer as {@link JoinedChunk}s of up to 2 048 found rows (features: `wanted`, else all found). */
function* chunksOf(
  joined: readonly (JoinedValues | undefined)[],
  wanted: readonly string[] | undefined,
): Generator<JoinedChunk> {
  let indexes: number[] = [];
  let found: JoinedValues[] = [];
  const flush = (): JoinedChunk => {
    const names = wanted ?? [...new Set(found.flatMap((v) => Object.keys(v)))];
    const values = new Map(names.map((name) => [name, found.map((v) => (name in v ? v[name] : undefined))]));
    const chunk = { lookupIndexes: indexes, values };
    indexes = [];
    found = [];
    return chunk;
  };
  for (const [index, values] of joined.entries()) {
    if (!values) continue;
    indexes.push(index);
    found.push(values);
    if (indexes.length === sliceRows) yield flush();
  }
  if (indexes.length > 0) yield flush();
}

/**
 * The per-lookup answer of {@link OfflineStore.joinAsOf} from its column slices: for each lookup,
 * the features its row set (undefined when it found none).
 */
export async function collectJoined(
  lookupCount: number,
  chunks: AsyncIterable<JoinedChunk>,
): Promise<(JoinedValues | undefined)[]> {
  const result = new Array<JoinedValues | undefined>(lookupCount).fill(undefined);
  for await (const chunk of chunks) {
    const columns = [...chunk.values];
    for (let i = 0; i < chunk.lookupIndexes.length; i++) {
      const values: Record<string, StoredValue> = {};
      for (const [name, column] of columns) {
        const value = column[i];
        if (value !== undefined) values[name] = value;
      }
      result[chunk.lookupIndexes[i]!] = values;
    }
  }
  return result;
}

/** True when `bytes` start with the Parquet magic `PAR1`. */
export function isParquet(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

/**
 * The chunks (in their order) that may hold rows with event times in [fromMs, toMs], both
 * inclusive; null means unbounded on that side. This is what keeps point-in-time reads from
 * fetching the whole history.
 */
export function chunksOverlapping(
  chunks: readonly ChunkRef[],
  fromMs: number | null,
  toMs: number | null,
): ChunkRef[] {
  return chunks.filter(
    (c) => (fromMs === null || c.maxTimeMs >= fromMs) && (toMs === null || c.minTimeMs <= toMs),
  );
}
