import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { AppError, actingPrincipal, type CallOptions } from '@flywheel/core';
import { injectTraceContext } from '@flywheel/telemetry';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { methodDefinition } from './grpc-definition.ts';
import { onBehalfOfHeader } from './on-behalf-of.ts';
import { fromGrpcError } from './status-mapping.ts';
import type { TlsConfig } from './tls/tls-config.ts';
import { grpcChannelCredentials } from './tls/tls-credentials.ts';

export interface RpcCallOptions extends CallOptions {
  /** Extra request headers (gRPC metadata). */
  headers?: Readonly<Record<string, string>>;
}

type In<M> = M extends { input: infer I extends DescMessage } ? MessageInitShape<I> : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? MessageShape<O> : never;

/** The client-side call for one method, by its kind. */
export type ClientMethod<M> = M extends { methodKind: 'unary' }
  ? (request: In<M>, options?: RpcCallOptions) => Promise<Out<M>>
  : M extends { methodKind: 'server_streaming' }
    ? (request: In<M>, options?: RpcCallOptions) => AsyncIterable<Out<M>>
    : M extends { methodKind: 'client_streaming' }
      ? (requests: AsyncIterable<In<M>>, options?: RpcCallOptions) => Promise<Out<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? (requests: AsyncIterable<In<M>>, options?: RpcCallOptions) => AsyncIterable<Out<M>>
        : never;

/** A typed client: one function per method (local, lowerCamel names), plus `close()`. */
export type RpcClient<S extends GenServiceMethods> = { [K in keyof S]: ClientMethod<S[K]> } & {
  close(): void;
};

export interface RpcClientOptions {
  /** `host:port`. */
  address: string;
  /** Deadline for calls that do not give `timeoutMs`, ms. Default 30 s: no call goes without one. */
  defaultTimeoutMs?: number;
  /** Largest message received, bytes. Default 16 MiB. */
  maxReceiveMessageBytes?: number;
  /** Largest message sent, bytes. Default 16 MiB. */
  maxSendMessageBytes?: number;
  /**
   * Transport security (the host's `FLYWHEEL_TLS_*`): with TLS on, the server is verified against
   * its CA and the client presents its certificate. Off or absent: plaintext.
   */
  tls?: TlsConfig;
  /** Explicit channel credentials; win over `tls`. */
  credentials?: grpc.ChannelCredentials;
  /** Headers sent with every call (e.g. a caller's `authorization`); a call's own `headers` win. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * What a service's host gives every client it makes to a peer service: its TLS and its own
 * credential (`authorization: Bearer <FLYWHEEL_SERVICE_TOKEN_FILE>`; none when it has no token).
 */
export type PeerClientOptions = Pick<RpcClientOptions, 'tls' | 'headers'>;

const tracer = trace.getTracer('@flywheel/rpc');
const MiB = 1024 * 1024;

/**
 * A gRPC client for a protobuf-es service over grpc-js. Every call has a deadline, carries the
 * active trace context in `traceparent`, runs in a CLIENT span, and fails with an AppError that
 * keeps the server's code, message and field.
 */
export function createRpcClient<S extends GenServiceMethods>(
  service: GenService<S>,
  options: RpcClientOptions,
): RpcClient<S> {
  const credentials = options.credentials ?? grpcChannelCredentials(options.tls ?? { enabled: false });
  const client = new grpc.Client(options.address, credentials, {
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 16 * MiB,
    'grpc.max_send_message_length': options.maxSendMessageBytes ?? 16 * MiB,
    // Channelz counts every call for a debugging service Flywheel does not use.
    'grpc.enable_channelz': 0,
  });
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const methods: Record<string, unknown> = { close: () => client.close() };
  for (const method of Object.values(service.method) as DescMethod[]) {
    methods[method.localName] = clientMethod(client, method, defaultTimeoutMs, options.headers);
  }
  return methods as RpcClient<S>;
}

function clientMethod(
  client: grpc.Client,
  method: DescMethod,
  defaultTimeoutMs: number,
  defaultHeaders: Readonly<Record<string, string>> = {},
) {
  const def = methodDefinition(method, 'client');
  const name = `${method.parent.typeName}/${method.name}`;

  // Built once per method: the span options are only read by startSpan.
  const spanOptions = {
    kind: SpanKind.CLIENT,
    attributes: { 'rpc.system': 'grpc', 'rpc.service': method.parent.typeName, 'rpc.method': method.name },
  };

  /** Starts the span, the deadline and the metadata shared by every kind of call. */
  const begin = (options: RpcCallOptions = {}) => {
    const span = tracer.startSpan(name, spanOptions);
    const active = trace.setSpan(context.active(), span);
    const metadata = new grpc.Metadata();
    // Event-driven work says whom it acts for (peers honour it from a service certificate only).
    const onBehalfOf = actingPrincipal()?.onBehalfOf;
    const headers: Record<string, string> = {
      ...(onBehalfOf ? { [onBehalfOfHeader]: onBehalfOf } : {}),
      ...defaultHeaders,
      ...options.headers,
    };
    for (const key in headers) metadata.set(key, headers[key]!);
    // The trace headers (none when no propagator is registered) win over same-named given ones.
    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, active);
    for (const key in carrier) metadata.set(key, carrier[key]!);
    const deadline = new Date(Date.now() + (options.timeoutMs ?? defaultTimeoutMs));
    const finish = (error?: AppError): void => {
      if (error) {
        span.setAttribute('rpc.grpc.status_code', error.status);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    };
    const onAbort = (call: grpc.Call) => {
      const signal = options.signal;
      if (!signal) return () => {};
      const cancel = (): void => call.cancel();
      if (signal.aborted) cancel();
      signal.addEventListener('abort', cancel, { once: true });
      return () => signal.removeEventListener('abort', cancel);
    };
    return { metadata, callOptions: { deadline }, finish, onAbort, signal: options.signal };
  };

  /** The AppError for a failed call; an abort by the caller's signal keeps the caller's reason. */
  const failure = (thrown: unknown, signal: AbortSignal | undefined): AppError =>
    signal?.aborted && signal.reason instanceof AppError ? signal.reason : fromGrpcError(thrown, name);

  /** The callback of a call with one response: detach the abort, end the span, settle the promise. */
  const settleWith =
    (
      started: ReturnType<typeof begin>,
      detach: () => void,
      resolve: (response: unknown) => void,
      reject: (error: AppError) => void,
    ) =>
    (error: grpc.ServiceError | null, response: unknown): void => {
      detach();
      if (error) {
        const appError = failure(error, started.signal);
        started.finish(appError);
        reject(appError);
      } else {
        started.finish();
        resolve(response);
      }
    };

  const pipeRequests = async (requests: AsyncIterable<unknown>, call: grpc.ClientWritableStream<unknown>) => {
    try {
      for await (const request of requests) {
        if (!call.write(request)) await new Promise((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch (error) {
      call.cancel();
      throw error;
    }
  };

  async function* readResponses(call: grpc.ClientReadableStream<unknown>, started: ReturnType<typeof begin>) {
    const detach = started.onAbort(call);
    try {
      for await (const response of call) yield response;
      started.finish();
    } catch (thrown) {
      const error = failure(thrown, started.signal);
      started.finish(error);
      throw error;
    } finally {
      detach();
      call.cancel();
    }
  }

  switch (method.methodKind) {
    case 'unary':
      return (request: unknown, options?: RpcCallOptions) =>
        new Promise((resolve, reject) => {
          const started = begin(options);
          const settle = settleWith(started, () => detach(), resolve, reject);
          const call = client.makeUnaryRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            request,
            started.metadata,
            started.callOptions,
            (error, response) => settle(error, response),
          );
          const detach = started.onAbort(call);
        });
    case 'server_streaming':
      return (request: unknown, options?: RpcCallOptions) => {
        const started = begin(options);
        const call = client.makeServerStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request,
          started.metadata,
          started.callOptions,
        );
        return readResponses(call, started);
      };
    case 'client_streaming':
      return (requests: AsyncIterable<unknown>, options?: RpcCallOptions) =>
        new Promise((resolve, reject) => {
          const started = begin(options);
          const settle = settleWith(started, () => detach(), resolve, reject);
          const call = client.makeClientStreamRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            started.metadata,
            started.callOptions,
            (error, response) => settle(error, response),
          );
          const detach = started.onAbort(call);
          pipeRequests(requests, call).catch(() => {});
        });
    case 'bidi_streaming':
      return (requests: AsyncIterable<unknown>, options?: RpcCallOptions) => {
        const started = begin(options);
        const call = client.makeBidiStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          started.metadata,
          started.callOptions,
        );
        pipeRequests(requests, call).catch(() => {});
        return readResponses(call, started);
      };
  }
}
