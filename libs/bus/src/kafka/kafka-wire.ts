import type { WireMessage } from '@flywheel/events';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

const empty = new Uint8Array();

/** A Kafka record from a wire message: key and headers as UTF-8, the value's bytes without a copy. */
export function kafkaMessageOf(message: WireMessage): Message {
  return {
    key: message.key ?? null,
    value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
    headers: message.headers,
  };
}

/** A wire message from a consumed Kafka record (headers decoded as UTF-8; a repeated header keeps its first value). */
export function wireMessageOf(message: KafkaMessage): WireMessage {
  return {
    key: message.key === null ? undefined : message.key.toString('utf8'),
    value: message.value ?? empty,
    headers: headersOf(message.headers),
  };
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name in headers) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined) result[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return result;
}
