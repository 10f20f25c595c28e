import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from '@bufbuild/protobuf';
import { messageOf } from '@flywheel/core';
import type { MethodDefinition } from '@grpc/grpc-js';

/** What a request that failed to decode turns into, so the kernel can answer INVALID_ARGUMENT (grpc-js would say INTERNAL). */
export class UndecodableRequest {
  readonly typeName: string;
  readonly reason: string;
  constructor(typeName: string, reason: string) {
    this.typeName = typeName;
    this.reason = reason;
  }
}

/** `value` as protobuf bytes: a Buffer handed over as it is (the server encodes its answers first, to check their size). */
export function encodeMessage(schema: DescMessage, value: MessageInitShape<DescMessage> | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const bytes = toBinary(schema, create(schema, value));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serializer(schema: DescMessage) {
  return (value: MessageInitShape<DescMessage> | Buffer): Buffer => encodeMessage(schema, value);
}

function deserializer(schema: DescMessage, lenient: boolean) {
  return (bytes: Buffer): unknown => {
    if (!lenient) return fromBinary(schema, bytes);
    try {
      return fromBinary(schema, bytes);
    } catch (error) {
      return new UndecodableRequest(schema.typeName, messageOf(error));
    }
  };
}

/** The gRPC path of a method: `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * grpc-js method definition for a protobuf-es method descriptor. Server-side request decoding is
 * lenient (undecodable bytes become {@link UndecodableRequest}); client-side decoding throws.
 */
export function methodDefinition(
  method: DescMethod,
  side: 'server' | 'client',
): MethodDefinition<unknown, unknown> {
  return {
    path: methodPath(method),
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: serializer(method.input) as (value: unknown) => Buffer,
    requestDeserialize: deserializer(method.input, side === 'server'),
    responseSerialize: serializer(method.output) as (value: unknown) => Buffer,
    responseDeserialize: deserializer(method.output, false),
    originalName: method.localName,
  };
}

/** All of a service's methods as a grpc-js service definition, keyed by the method's proto name. */
export function serviceDefinition(service: DescService): Record<string, MethodDefinition<unknown, unknown>> {
  return Object.fromEntries(service.methods.map((m) => [m.name, methodDefinition(m, 'server')]));
}
