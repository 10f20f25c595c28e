import { create, toBinary } from '@bufbuild/protobuf';
import { formatCsvLine } from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import { HistoricalRowSchema } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { isoOf } from '../values/event-times.ts';
import { jsonOfValue, type StoredValue, toValue } from '../values/feature-values.ts';
import { timeSlice } from '../values/time-slice.ts';
import type { HistoricalTable } from './historical-table.ts';

/**
 * Each row of the table as the encoded bytes of one `HistoricalRow` (values aligned with the
 * columns), in order, in time slices: encoding 100k rows in one go would hold the event loop for
 * seconds.
 */
export async function* encodedHistoricalRows(table: HistoricalTable): AsyncGenerator<Uint8Array> {
  const pause = timeSlice();
  for (const row of table.rows) {
    const message = create(HistoricalRowSchema, {
      values: [
        ...table.joinKeys.map((k) => toValue(row.frame.keys[k.name]!, k.valueType)),
        toValue(isoOf(row.frame.timeMs), ValueType.TIMESTAMP),
        ...row.frame.columns,
        ...table.features.map((f, i) => toValue(row.features[i]!, f.feature.valueType)),
      ],
    });
    yield toBinary(HistoricalRowSchema, message);
    await pause();
  }
}

function cellsOf(table: HistoricalTable, index: number): StoredValue[] {
  const row = table.rows[index]!;
  return [
    ...table.joinKeys.map((k) => row.frame.keys[k.name]!),
    isoOf(row.frame.timeMs),
    ...row.frame.columns.map(jsonOfValue),
    ...row.features,
  ];
}

/**
 * The table as a file: JSON Lines (one object per row, keys = columns in order; times RFC 3339,
 * nulls as null) or CSV with a header row (nulls empty, lists as JSON text). UNSPECIFIED is JSONL.
 * Yields the file in pieces of about 1 MiB, encoded in time slices, so a training set of any size
 * streams into the blob store and never has to fit one string.
 */
export async function* encodeTable(
  table: HistoricalTable,
  format: DatasetFormat,
): AsyncGenerator<Uint8Array> {
  const pause = timeSlice();
  const encoder = new TextEncoder();
  let pending: string[] = [];
  let pendingChars = 0;
  const add = (line: string) => {
    pending.push(line);
    pendingChars += line.length + 1;
  };
  const flush = () => {
    const piece = encoder.encode(`${pending.join('\n')}\n`);
    pending = [];
    pendingChars = 0;
    return piece;
  };
  const csv = format === DatasetFormat.CSV;
  if (csv) add(formatCsvLine(table.columns));
  for (let i = 0; i < table.rows.length; i++) {
    const cells = cellsOf(table, i);
    if (csv) {
      add(
        formatCsvLine(cells.map((c) => (c === null ? '' : Array.isArray(c) ? JSON.stringify(c) : String(c)))),
      );
    } else {
      const object: Record<string, StoredValue> = {};
      for (const [c, column] of table.columns.entries()) object[column] = cells[c]!;
      add(JSON.stringify(object));
    }
    if (pendingChars >= pieceChars) yield flush();
    await pause();
  }
  if (pending.length > 0) yield flush();
}

const pieceChars = 1 << 20;
