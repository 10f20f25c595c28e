import {
  createFileRegistry,
  type DescMessage,
  fromBinary,
  type JsonValue,
  ScalarType,
  toJson,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';

/**
 * The message type a `ProtobufFormat` names, read from its descriptor set. `invalid_argument`
 * naming `<at>.descriptor_set` when the bytes are not a FileDescriptorSet or lack an import, or
 * `<at>.message_type` when the set has no such message (the error lists the ones it has).
 */
export function protobufMessageType(
  format: { readonly messageType: string; readonly descriptorSet: Uint8Array },
  at: string,
): DescMessage {
  let registry: ReturnType<typeof createFileRegistry>;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, format.descriptorSet));
  } catch (error) {
    throw AppError.invalidArgument(
      `${at}.descriptor_set`,
      `is not a complete FileDescriptorSet (build it with \`buf build -o\` or \`protoc --include_imports --descriptor_set_out\`): ${AppError.from(error).message}`,
    );
  }
  const message = registry.getMessage(format.messageType);
  if (message) return message;
  const known = [...registry].filter((t) => t.kind === 'message').map((t) => t.typeName);
  throw AppError.invalidArgument(
    `${at}.message_type`,
    `"${format.messageType}" is not a message of the descriptor set (it has: ${known.slice(0, 20).join(', ') || 'none'})`,
  );
}

/**
 * Checks that a message type can hold a view's rows: a field for every join key and for the event
 * time, which must be a google.protobuf.Timestamp or a string. `invalid_argument` naming
 * `<at>.message_type` and the missing or mistyped field.
 */
export function checkProtobufColumns(
  message: DescMessage,
  required: { readonly joinKeyColumns: readonly string[]; readonly timeColumn: string },
  at: string,
): void {
  const field = (name: string) => message.fields.find((f) => f.name === name);
  for (const column of [...required.joinKeyColumns, required.timeColumn]) {
    if (!field(column)) {
      throw AppError.invalidArgument(
        `${at}.message_type`,
        `${message.typeName} has no field ${column}: the view needs its join keys and event time (fields: ${message.fields.map((f) => f.name).join(', ')})`,
      );
    }
  }
  const time = field(required.timeColumn)!;
  const isTimestamp = time.fieldKind === 'message' && time.message.typeName === 'google.protobuf.Timestamp';
  const isString = time.fieldKind === 'scalar' && time.scalar === ScalarType.STRING;
  if (!isTimestamp && !isString) {
    throw AppError.invalidArgument(
      `${at}.message_type`,
      `${message.typeName}.${time.name} holds the event time: it must be a google.protobuf.Timestamp or an RFC 3339 string`,
    );
  }
}

/**
 * One protobuf record as the JSON object a JSON record would be: proto field names as keys,
 * fields without presence always present (a proto3 0 is a 0), unset fields with presence left out.
 * `invalid_argument` naming `where` when the bytes are not a message of that type.
 */
export function protobufRecordObject(
  message: DescMessage,
  bytes: Uint8Array,
  where: string,
): { [key: string]: JsonValue } {
  try {
    return toJson(message, fromBinary(message, bytes), {
      useProtoFieldName: true,
      alwaysEmitImplicit: true,
    }) as { [key: string]: JsonValue };
  } catch (error) {
    throw AppError.invalidArgument(
      where,
      `is not a ${message.typeName} message: ${AppError.from(error).message}`,
    );
  }
}
