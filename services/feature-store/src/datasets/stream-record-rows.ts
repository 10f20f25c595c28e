import { AppError } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import type { FutureLimit } from '../values/event-times.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import { datasetRows } from './dataset-rows.ts';

const protobufTypes = ['application/protobuf', 'application/x-protobuf', 'application/vnd.google.protobuf'];

/**
 * The row of one record of a view's stream topic (delivered raw, `event.id` = its position): a
 * UTF-8 JSON object read like a JSON Lines row of a dataset (columns by name or the source's
 * `field_mapping`, event time from `event_time` or `timestamp_field`), or a structured-mode
 * CloudEvent whose `data` is that object. Throws `invalid_argument` naming the field at fault
 * (`record <topic>/<partition>/<offset>.temp_max: expected DOUBLE, got "warm"`,
 * `record <topic>/<partition>/<offset>: column station: is missing…` when a join key is missing), or the record itself when it is not a JSON object. Protobuf records
 * are refused: a StreamSource declares no message type to decode them with. An event time past
 * `limit` is refused like one in a dataset.
 */
export function streamRecordRows(
  view: FeatureViewRecord,
  event: CloudEvent,
  limit: FutureLimit,
): FeatureRowData[] {
  const where = `record ${event.id}`;
  const contentType = event.datacontenttype.split(';')[0]!.trim().toLowerCase();
  if (protobufTypes.includes(contentType)) {
    throw AppError.invalidArgument(
      `${where}.content-type`,
      `${contentType} is not supported: a StreamSource declares no message type; publish JSON objects`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(event.data));
  } catch (error) {
    throw AppError.invalidArgument(where, `is not UTF-8 JSON: ${AppError.from(error).message}`);
  }
  if (isObject(parsed) && typeof parsed.specversion === 'string' && 'data' in parsed) parsed = parsed.data;
  if (!isObject(parsed)) throw AppError.invalidArgument(where, 'must be a JSON object (one row)');
  try {
    return datasetRows(
      view,
      { columns: Object.keys(parsed), rows: [{ line: 0, cells: parsed }], csv: false },
      limit,
      () => where,
    );
  } catch (error) {
    // A missing join key or time column, or no feature at all, is named by column: say which record.
    const cause = AppError.from(error);
    if (cause.message.startsWith(where)) throw cause;
    throw new AppError(cause.code, `${where}: ${cause.message}`, {
      cause,
      ...(cause.field === undefined ? {} : { field: `${where}.${cause.field}` }),
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
