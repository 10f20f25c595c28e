import { create, type DescMessage, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { answerTooLarge } from '../values/answer-too-large.ts';

/**
 * Encodes `message` and refuses it with {@link answerTooLarge} when it is over `maxBytes`, so the
 * caller hears which field to shrink instead of a transport error after the answer was built.
 */
export function checkAnswerSize<S extends DescMessage>(
  schema: S,
  message: MessageInitShape<S>,
  maxBytes: number,
  field: string,
  instead: string,
): MessageInitShape<S> {
  const bytes = toBinary(schema, create(schema, message)).length;
  if (bytes > maxBytes) throw answerTooLarge(bytes, maxBytes, field, instead);
  return message;
}
