import type { MessageInitShape } from '@bufbuild/protobuf';
import { formatCsvLine } from '@flywheel/datasets';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { ValueType } from '@flywheel/proto/flywheel/common/v1/value_pb.js';
import type { HistoricalRowSchema } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { isoOf } from '../values/event-times.ts';
import { jsonOfValue, type StoredValue, toValue } from '../values/feature-values.ts';
import type { HistoricalTable } from './historical-table.ts';

/** The table's rows for GetHistoricalFeaturesResponse, aligned with its columns. */
export function toHistoricalRows(table: HistoricalTable): MessageInitShape<typeof HistoricalRowSchema>[] {
  return table.rows.map((row) => ({
    values: [
      ...table.joinKeys.map((k) => toValue(row.frame.keys[k.name]!, k.valueType)),
      toValue(isoOf(row.frame.timeMs), ValueType.TIMESTAMP),
      ...row.frame.columns,
      ...table.features.map((f, i) => toValue(row.features[i]!, f.feature.valueType)),
    ],
  }));
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
 */
export function encodeTable(table: HistoricalTable, format: DatasetFormat): Uint8Array {
  const lines: string[] = [];
  if (format === DatasetFormat.CSV) {
    lines.push(formatCsvLine(table.columns));
    for (let i = 0; i < table.rows.length; i++) {
      lines.push(
        formatCsvLine(
          cellsOf(table, i).map((c) => (c === null ? '' : Array.isArray(c) ? JSON.stringify(c) : String(c))),
        ),
      );
    }
  } else {
    for (let i = 0; i < table.rows.length; i++) {
      const cells = cellsOf(table, i);
      const object: Record<string, StoredValue> = {};
      for (const [c, column] of table.columns.entries()) object[column] = cells[c]!;
      lines.push(JSON.stringify(object));
    }
  }
  return new TextEncoder().encode(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}
