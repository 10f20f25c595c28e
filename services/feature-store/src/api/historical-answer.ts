import { create, type DescMessage, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  type GetHistoricalFeaturesResponse,
  GetHistoricalFeaturesResponseSchema,
  type StreamHistoricalFeaturesResponse,
  StreamHistoricalFeaturesResponseSchema,
} from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { answerTooLarge } from '@flywheel/rpc';
import type { HistoricalTable } from '../datasets/historical-table.ts';
import { encodedHistoricalRows } from '../datasets/historical-table-encoding.ts';

/** What a GetHistoricalFeatures caller should do about an answer too big for one message. */
export const historicalInstead =
  'use StreamHistoricalFeatures, which sends the rows in messages under the limit, CreateTrainingSet, which writes them to a blob, or a smaller entity_dataframe';

/** Field number of `rows` in both answers (GetHistoricalFeaturesResponse, StreamHistoricalFeaturesResponse). */
const rowsField = 2;
/** Most bytes of one streamed message, below the message limit: steady pages, bounded memory. */
const streamPageBytes = 1024 * 1024;
/** Room kept in each message for its columns and framing. */
const headroomBytes = 1024;

/**
 * The GetHistoricalFeatures answer, its rows encoded in time slices and carried pre-encoded (as the
 * message's unknown fields of field `rows` — on the wire exactly the rows), so the transport's own
 * encoding copies bytes instead of encoding 100k rows in one event-loop turn. Refused with
 * `resource_exhausted` naming `entity_dataframe` and StreamHistoricalFeatures as soon as the rows
 * so far are over `maxBytes`, without encoding the rest.
 */
export async function historicalAnswer(
  table: HistoricalTable,
  maxBytes: number,
): Promise<GetHistoricalFeaturesResponse> {
  const message = create(GetHistoricalFeaturesResponseSchema, { columns: [...table.columns] });
  let bytes = toBinary(GetHistoricalFeaturesResponseSchema, message).length;
  const rows: Uint8Array[] = [];
  for await (const row of encodedHistoricalRows(table)) {
    const entry = lengthDelimited(row);
    bytes += 1 + entry.length;
    if (bytes > maxBytes)
      throw answerTooLarge({
        bytes: `at least ${bytes}`,
        maxBytes,
        setting: 'FLYWHEEL_MAX_MESSAGE_BYTES',
        hint: { field: 'entity_dataframe', instead: historicalInstead },
      });
    rows.push(entry);
  }
  return carrying(message, rows);
}

/**
 * The StreamHistoricalFeatures answer: the table's rows in order, in messages of at most
 * min(`maxBytes`, 1 MiB) bytes each (the first also carrying the columns), encoded in time slices.
 * A single row over that is `resource_exhausted` naming `features` (no message could carry it).
 */
export async function* historicalPages(
  table: HistoricalTable,
  maxBytes: number,
): AsyncGenerator<StreamHistoricalFeaturesResponse> {
  const budget = Math.min(maxBytes, streamPageBytes) - headroomBytes;
  let message = create(StreamHistoricalFeaturesResponseSchema, { columns: [...table.columns] });
  let bytes = toBinary(StreamHistoricalFeaturesResponseSchema, message).length;
  let rows: Uint8Array[] = [];
  let index = 0;
  for await (const row of encodedHistoricalRows(table)) {
    const entry = lengthDelimited(row);
    if (1 + entry.length > budget - bytes && rows.length === 0) {
      throw answerTooLarge({
        bytes: 1 + entry.length,
        maxBytes,
        setting: 'FLYWHEEL_MAX_MESSAGE_BYTES',
        hint: {
          field: 'features',
          instead: `row ${index} alone does not fit one message; ask for fewer features`,
        },
      });
    }
    if (bytes + 1 + entry.length > budget) {
      yield carrying(message, rows);
      message = create(StreamHistoricalFeaturesResponseSchema);
      bytes = 0;
      rows = [];
    }
    rows.push(entry);
    bytes += 1 + entry.length;
    index++;
  }
  // The last page, or the only one (columns, no rows) for an empty frame.
  if (rows.length > 0 || index === 0) yield carrying(message, rows);
}

/** `bytes` as the data of a length-delimited field: varint length, then the bytes. */
function lengthDelimited(bytes: Uint8Array): Uint8Array {
  return new BinaryWriter().bytes(bytes).finish();
}

function carrying<M extends MessageShape<DescMessage>>(message: M, rows: readonly Uint8Array[]): M {
  message.$unknown = rows.map((data) => ({ no: rowsField, wireType: WireType.LengthDelimited, data }));
  return message;
}
