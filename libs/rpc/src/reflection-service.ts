import { type DescFile, type DescMessage, type DescService, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ErrorCode } from '@flywheel/core';
import { ServerReflection as ReflectionV1 } from '@flywheel/proto/grpc/reflection/v1/reflection_pb.js';
import { ServerReflection as ReflectionV1alpha } from '@flywheel/proto/grpc/reflection/v1alpha/reflection_pb.js';

/** What a reflection request asks (v1 and v1alpha share the shape). */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | {
        case: 'fileByFilename' | 'fileContainingSymbol' | 'allExtensionNumbersOfType' | 'listServices';
        value: string;
      }
    | { case: 'fileContainingExtension'; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

/** Every file the served services need, and what each defines, rebuilt when services are added. */
class DescriptorIndex {
  readonly files = new Map<string, DescFile>();
  readonly symbols = new Map<string, DescFile>();
  readonly extensions = new Map<string, Map<number, DescFile>>();

  readonly services: readonly DescService[];

  constructor(services: readonly DescService[]) {
    this.services = services;
    for (const service of services) this.#addFile(service.file);
  }

  #addFile(file: DescFile): void {
    if (this.files.has(file.proto.name)) return;
    this.files.set(file.proto.name, file);
    for (const dependency of file.dependencies) this.#addFile(dependency);
    for (const service of file.services) {
      this.symbols.set(service.typeName, file);
      for (const method of service.methods) this.symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const en of file.enums) this.symbols.set(en.typeName, file);
    for (const message of file.messages) this.#addMessage(message, file);
    for (const extension of file.extensions)
      this.#addExtension(extension.typeName, extension.extendee.typeName, extension.number, file);
  }

  #addMessage(message: DescMessage, file: DescFile): void {
    this.symbols.set(message.typeName, file);
    for (const field of message.fields) this.symbols.set(`${message.typeName}.${field.name}`, file);
    for (const en of message.nestedEnums) this.symbols.set(en.typeName, file);
    for (const nested of message.nestedMessages) this.#addMessage(nested, file);
    for (const ext of message.nestedExtensions)
      this.#addExtension(ext.typeName, ext.extendee.typeName, ext.number, file);
  }

  #addExtension(name: string, extendee: string, number: number, file: DescFile): void {
    this.symbols.set(name, file);
    const byNumber = this.extensions.get(extendee) ?? new Map<number, DescFile>();
    byNumber.set(number, file);
    this.extensions.set(extendee, byNumber);
  }

  /** The file and everything it imports, transitively, each serialized once. */
  closure(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile): void => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      for (const dependency of f.dependencies) visit(dependency);
    };
    visit(file);
    return out;
  }
}

function answer(index: DescriptorIndex, request: ReflectionRequest) {
  const notFound = (what: string) => ({
    case: 'errorResponse' as const,
    value: { errorCode: ErrorCode.not_found, errorMessage: `${what} not found` },
  });
  const files = (file: DescFile | undefined, what: string) =>
    file
      ? { case: 'fileDescriptorResponse' as const, value: { fileDescriptorProto: index.closure(file) } }
      : notFound(what);
  const r = request.messageRequest;
  switch (r.case) {
    case 'listServices':
      return {
        case: 'listServicesResponse' as const,
        value: { service: index.services.map((s) => ({ name: s.typeName })) },
      };
    case 'fileByFilename':
      return files(index.files.get(r.value), `file "${r.value}"`);
    case 'fileContainingSymbol':
      return files(index.symbols.get(r.value), `symbol "${r.value}"`);
    case 'fileContainingExtension':
      return files(
        index.extensions.get(r.value.containingType)?.get(r.value.extensionNumber),
        `extension ${r.value.extensionNumber} of "${r.value.containingType}"`,
      );
    case 'allExtensionNumbersOfType': {
      if (!index.symbols.has(r.value)) return notFound(`type "${r.value}"`);
      const numbers = [...(index.extensions.get(r.value)?.keys() ?? [])];
      return {
        case: 'allExtensionNumbersResponse' as const,
        value: { baseTypeName: r.value, extensionNumber: numbers },
      };
    }
    default:
      return {
        case: 'errorResponse' as const,
        value: { errorCode: ErrorCode.invalid_argument, errorMessage: 'message_request is required' },
      };
  }
}

/**
 * gRPC server reflection, both `grpc.reflection.v1` (grpcurl) and `v1alpha` (grpcio-reflection and
 * older clients), over the descriptors protobuf-es generated for the services being served.
 */
export function createReflectionServices(servedServices: () => readonly DescService[]) {
  let index: DescriptorIndex | undefined;
  const current = (): DescriptorIndex => {
    const services = servedServices();
    if (index?.services.length !== services.length) index = new DescriptorIndex([...services]);
    return index;
  };
  const impl = {
    async *serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
      for await (const request of requests) {
        yield {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(current(), request),
        };
      }
    },
  };
  return [
    { service: ReflectionV1 as DescService, impl: impl as Record<string, unknown> },
    { service: ReflectionV1alpha as DescService, impl: impl as Record<string, unknown> },
  ];
}
