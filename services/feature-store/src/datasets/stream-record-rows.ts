import type { DescMessage } from '@bufbuild/protobuf';
import { AppError } from '@flywheel/core';
import type { CloudEvent } from '@flywheel/events';
import type { FutureLimit } from '../values/event-times.ts';
import type { FeatureRowData } from '../values/feature-row-data.ts';
import type { FeatureViewRecord } from '../values/feature-view-records.ts';
import { datasetRows } from './dataset-rows.ts';
import { protobufMessageType, protobufRecordObject } from './protobuf-records.ts';

const protobufTypes = ['application/protobuf', 'application/x-protobuf', 'application/vnd.google.protobuf'];

/**
 * The row of one record of a view's stream topic (delivered raw, `event.id` = its position): a
 * UTF-8 JSON object read like a JSON Lines row of a dataset (columns by name or the source's
 * `field_mapping`, event time from `event_time` or `timestamp_field`), or a structured-mode
 * CloudEvent whose `data` is that object; or, when the source declares a protobuf message type, that
 * message read as the same object (see `protobufRecordObject`). Throws `invalid_argument` naming
 * the field at fault (`record <topic>/<partition>/<offset>.temp_max: expected DOUBLE, got "warm"`,
 * `record <topic>/<partition>/<offset>: column station: is missing…` when a join key is missing),
 * or the record itself when it is not a JSON object or not a message of the type. A record with a
 * protobuf content type on a JSON source is refused: the source declares no type to decode it
 * with. An event time past `limit` is refused like one in a dataset.
 */
export function streamRecordRows(
  view: FeatureViewRecord,
  event: CloudEvent,
  limit: FutureLimit,
): FeatureRowData[] {
  const where = `record ${event.id}`;
  const parsed = view.source?.stream?.protobuf
    ? protobufRecordObject(messageTypeOf(view), event.data, where)
    : jsonRecordObject(event, where);
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

function jsonRecordObject(event: CloudEvent, where: string): Record<string, unknown> {
  const contentType = event.datacontenttype.split(';')[0]!.trim().toLowerCase();
  if (protobufTypes.includes(contentType)) {
    throw AppError.invalidArgument(
      `${where}.content-type`,
      `${contentType} is not supported: this StreamSource declares no protobuf message type; publish JSON objects or set source.stream.protobuf`,
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
  return parsed;
}

/** Compiled message types by view name and revision: a descriptor set is read once, not per record. */
const messageTypes = new Map<string, DescMessage>();
const messageTypesKept = 64;

function messageTypeOf(view: FeatureViewRecord): DescMessage {
  const key = `${view.name}@${view.revision}`;
  let message = messageTypes.get(key);
  if (!message) {
    const format = view.source!.stream!.protobuf!;
    message = protobufMessageType(
      { messageType: format.messageType, descriptorSet: Buffer.from(format.descriptorSet, 'base64') },
      'source.stream.protobuf',
    );
    if (messageTypes.size >= messageTypesKept) messageTypes.delete(messageTypes.keys().next().value!);
    messageTypes.set(key, message);
  }
  return message;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
