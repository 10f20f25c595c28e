import type { DescMethod, DescService, Message } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { AppError, type Logger, runActingAs, silentLogger } from '@flywheel/core';
import type { MetricsRegistry } from '@flywheel/metrics';
import { extractTraceContext } from '@flywheel/telemetry';
import * as grpc from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type AnswerSizeHint, answerTooLarge } from './answer-too-large.ts';
import { type AnyMethodPolicy, authorize, type ServicePolicy } from './auth/access-policy.ts';
import type { Authenticator } from './auth/authenticator.ts';
import { localPrincipal, type Principal } from './auth/principal.ts';
import { encodeMessage, serviceDefinition, UndecodableRequest } from './grpc-definition.ts';
import type { CallContext, ServiceImpl } from './handler-types.ts';
import { createHealthService, type HealthStatus } from './health-service.ts';
import { onBehalfOfHeader, onBehalfOfPattern } from './on-behalf-of.ts';
import { createReflectionServices } from './reflection-service.ts';
import { type MethodMetrics, methodMetricsOf } from './rpc-metrics.ts';
import { metadataToHeaders, toGrpcStatus } from './status-mapping.ts';
import type { EnabledTlsConfig } from './tls/tls-config.ts';
import { grpcServerTls } from './tls/tls-credentials.ts';
import { validateMessage } from './validate-request.ts';

export interface RpcServerOptions {
  log?: Logger;
  /** Largest request accepted, in bytes; a bigger one is refused with RESOURCE_EXHAUSTED. Default 16 MiB. */
  maxReceiveMessageBytes?: number;
  /**
   * Largest response sent, in bytes: a bigger answer (or stream message) is refused with
   * RESOURCE_EXHAUSTED naming the RPC and the limit (see {@link AddServiceOptions}). Default 16 MiB.
   */
  maxSendMessageBytes?: number;
  /** The setting that sets `maxSendMessageBytes`, named in that error (e.g. `FLYWHEEL_MAX_MESSAGE_BYTES`). */
  maxSendMessageSetting?: string;
  /** Deadline for unary calls that arrive without one, ms. Default 30 s. */
  defaultDeadlineMs?: number;
  /** Deadline for streaming calls that arrive without one, ms. Default 1 h. */
  defaultStreamDeadlineMs?: number;
  /**
   * Verifies every call's credential (health excepted) and checks the method's policy before its
   * handler. Absent (auth off): every call runs as {@link localPrincipal} and no policy is checked.
   */
  authenticator?: Authenticator;
  /** Who calls run as when there is no authenticator. Default: the local principal of team `default`. */
  localPrincipal?: Principal;
  /** Serve over TLS (mTLS per its `clientAuth`); absent: plaintext, as embedded mode runs. */
  tls?: EnabledTlsConfig;
  /** Serve gRPC server reflection (v1 and v1alpha). Default true; services turn it off with auth on. */
  reflection?: boolean;
  /**
   * Counts every call in `grpc_server_started_total`, `grpc_server_handled_total` (with its
   * `grpc_code`) and `grpc_server_handling_seconds`, as go-grpc-prometheus names them. Absent: none.
   */
  metrics?: MetricsRegistry;
}

/** How one service is served, beyond its handlers. */
export interface AddServiceOptions<S extends GenServiceMethods> {
  /** Per method: the request field and advice the too-large-answer error names. */
  answerSizeHints?: AnswerSizeHints<S>;
}

/** Per method (local name): its {@link AnswerSizeHint}. */
export type AnswerSizeHints<S extends GenServiceMethods> = { [K in keyof S]?: AnswerSizeHint };

/** The hints type of a generated service: `AnswerSizeHintsOf<typeof FeatureStoreService>`. */
export type AnswerSizeHintsOf<T> = T extends GenService<infer S> ? AnswerSizeHints<S> : never;

export interface RpcServer {
  /**
   * Serves `service` with `impl`; methods `impl` leaves out answer UNIMPLEMENTED. Marks it SERVING.
   * Every answer is encoded once, here: one over `maxSendMessageBytes` is `resource_exhausted`
   * naming the RPC, its size and the limit, and the method's hint if any.
   * With an authenticator, each call must satisfy `policy`'s entry for its method (none: refused
   * with PERMISSION_DENIED to everyone).
   */
  add<S extends GenServiceMethods>(
    service: GenService<S>,
    impl: ServiceImpl<S>,
    policy?: ServicePolicy<S>,
    options?: AddServiceOptions<S>,
  ): void;
  /** Sets the health status of a service by full name, or of the whole server with `''`. */
  setHealth(service: string, status: HealthStatus): void;
  /** Binds `host:port` (port 0 picks a free one) and starts serving; resolves to the bound port. */
  listen(address: string): Promise<number>;
  /**
   * Graceful stop: reports NOT_SERVING, stops taking calls, lets calls in flight finish for up to
   * `graceMs` (default 10 s), then cancels what is left.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

const tracer = trace.getTracer('@flywheel/rpc');
const MiB = 1024 * 1024;

/** A gRPC server for protobuf-es services with deadlines, tracing, validation, health and reflection built in. */
export function createRpcServer(options: RpcServerOptions = {}): RpcServer {
  const log = options.log ?? silentLogger;
  const unaryDeadlineMs = options.defaultDeadlineMs ?? 30_000;
  const streamDeadlineMs = options.defaultStreamDeadlineMs ?? 3_600_000;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 16 * MiB,
    'grpc.max_send_message_length': options.maxSendMessageBytes ?? 16 * MiB,
    // Channelz counts every call for a debugging service Flywheel does not expose: ~15 µs a call.
    'grpc.enable_channelz': 0,
  });
  const maxSendBytes = options.maxSendMessageBytes ?? 16 * MiB;
  const open: OpenCalls = { calls: new Set(), shutdownReason: undefined };
  const services: DescService[] = [];
  const health = createHealthService();
  const principal = options.localPrincipal ?? localPrincipal('default');

  const addService = (
    service: DescService,
    impl: Record<string, unknown>,
    policy: Readonly<Record<string, AnyMethodPolicy>> | undefined,
    hints: Record<string, AnswerSizeHint | undefined> = {},
  ): void => {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const handler = impl[method.localName] as AnyHandler | undefined;
      const answerLimit: AnswerLimit = {
        maxBytes: maxSendBytes,
        setting: options.maxSendMessageSetting,
        hint: hints[method.localName],
      };
      const guard = options.authenticator
        ? { authenticator: options.authenticator, policy: policy?.[method.localName] }
        : undefined;
      handlers[method.name] = wrapMethod(method, handler, {
        log,
        unaryDeadlineMs,
        streamDeadlineMs,
        open,
        answerLimit,
        principal,
        guard,
        metrics: options.metrics ? methodMetricsOf(options.metrics, method) : undefined,
      });
    }
    server.addService(serviceDefinition(service), handlers);
    services.push(service);
    health.set(service.typeName, 'SERVING');
  };

  // Health stays open (load balancers and orchestrators probe it without credentials); reflection
  // describes the API, not data: any verified caller.
  addService(health.service, health.impl, { check: openAccess, list: openAccess, watch: openAccess });
  if (options.reflection !== false)
    for (const reflection of createReflectionServices(() => services))
      addService(reflection.service, reflection.impl, { serverReflectionInfo: { access: 'authenticated' } });

  return {
    add: (service, impl, policy, addOptions) =>
      addService(
        service,
        impl as Record<string, unknown>,
        policy as Record<string, AnyMethodPolicy> | undefined,
        addOptions?.answerSizeHints as Record<string, AnswerSizeHint | undefined> | undefined,
      ),
    setHealth: (service, status) => health.set(service, status),
    listen: async (address) => {
      const tls = options.tls ? grpcServerTls(options.tls) : undefined;
      const release = await tls?.loaded();
      try {
        return await new Promise<number>((resolve, reject) => {
          const credentials = tls?.credentials ?? grpc.ServerCredentials.createInsecure();
          server.bindAsync(address, credentials, (error, port) => {
            if (error)
              reject(
                new AppError('unavailable', `cannot listen on ${address}: ${error.message}`, {
                  cause: error,
                }),
              );
            else {
              health.set('', 'SERVING');
              resolve(port);
            }
          });
        });
      } finally {
        release?.();
      }
    },
    close: async ({ graceMs = 10_000 } = {}) => {
      health.shutdown();
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      const timer = setTimeout(() => {
        const reason = new AppError('unavailable', 'the server is shutting down');
        open.shutdownReason = reason;
        for (const abort of [...open.calls]) abort(reason);
        server.forceShutdown();
      }, graceMs);
      await drained;
      clearTimeout(timer);
    },
  };
}

const openAccess: AnyMethodPolicy = { access: 'open' };
/** Who an open method's call runs as when auth is on: no team, no role. */
const anonymousPrincipal: Principal = { subject: 'anonymous', teams: [], roles: {}, platformAdmin: false };

// biome-ignore lint/suspicious/noExplicitAny: one dispatcher over four handler shapes; each call site is typed by ServiceImpl.
type AnyHandler = (request: any, ctx: CallContext) => any;

interface WrapOptions {
  log: Logger;
  unaryDeadlineMs: number;
  streamDeadlineMs: number;
  open: OpenCalls;
  /** Who calls run as without a guard. */
  principal: Principal;
  /** Present when auth is on: who may call this method. */
  guard: { authenticator: Authenticator; policy: AnyMethodPolicy | undefined } | undefined;
  answerLimit: AnswerLimit;
  /** The method's RPC metrics, when the server has a registry. */
  metrics: MethodMetrics | undefined;
}

/** The size limit of one method's answers, and what its error says. */
interface AnswerLimit {
  readonly maxBytes: number;
  readonly setting: string | undefined;
  readonly hint: AnswerSizeHint | undefined;
}

/** One call in progress: its context, its span, and how it ends. */
interface OpenCall {
  ctx: CallContext;
  span: Span;
  run<T>(fn: () => T): T;
  /** Verifies the caller's credential and puts its principal on `ctx` (with a guard only). */
  authenticate(): Promise<void>;
  /** Checks the method's policy for one request message (with a guard only). */
  authorize(request: Message): Promise<void>;
  /** Called once when the call aborts (deadline, client cancel, shutdown) before it ended. */
  onAbort: ((reason: AppError) => void) | undefined;
  /** Maps a thrown value to the status to send, records it on the span, logs what is unexpected. */
  fail(thrown: unknown): Partial<grpc.StatusObject>;
  end(): void;
}

/**
 * Calls in progress, so a forced shutdown can abort them all. One Set per server instead of an
 * `AbortSignal.any([call, shutdown])` per call: the hot path of a unary call allocates no
 * composite signal and registers no listener on the server's signal.
 */
interface OpenCalls {
  readonly calls: Set<(reason: AppError) => void>;
  /** Set once the server is shutting down; calls opened after that abort at once. */
  shutdownReason: AppError | undefined;
}

/** What every call of one method shares, built once. */
interface MethodInfo {
  readonly method: DescMethod;
  readonly name: string;
  readonly spanOptions: { kind: SpanKind; attributes: Record<string, string> };
}

function methodInfo(method: DescMethod): MethodInfo {
  return {
    method,
    name: `${method.parent.typeName}/${method.name}`,
    spanOptions: {
      kind: SpanKind.SERVER,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': method.parent.typeName, 'rpc.method': method.name },
    },
  };
}

function openCall(call: ServerSurfaceCall, info: MethodInfo, options: WrapOptions): OpenCall {
  const { method, name } = info;
  const streaming = method.methodKind !== 'unary';
  const given = call.getDeadline();
  const givenMs = given instanceof Date ? given.getTime() : given;
  const deadline = Number.isFinite(givenMs)
    ? givenMs
    : Date.now() + (streaming ? options.streamDeadlineMs : options.unaryDeadlineMs);
  const startedAt = options.metrics?.started() ?? 0;
  /** The gRPC status the call ends with, for its metrics: OK unless it failed. */
  let code = 0;
  const controller = new AbortController();
  const signal = controller.signal;
  let ended = false;
  const abort = (reason: AppError): void => {
    if (ended || signal.aborted) return;
    controller.abort(reason);
    open.onAbort?.(reason);
  };
  const timer = setTimeout(
    () => abort(new AppError('deadline_exceeded', `${name}: deadline exceeded`)),
    Math.max(0, deadline - Date.now()),
  );
  // grpc-js also reports 'cancelled' when the stream closes after a call has ended; the AppError
  // (and its stack trace) is built only for a call still in progress.
  call.on('cancelled', () => {
    if (!ended) abort(new AppError('cancelled', `${name}: the client cancelled the call`));
  });
  options.open.calls.add(abort);
  const headers = metadataToHeaders(call.metadata);
  const parent = extractTraceContext(headers);
  const span = tracer.startSpan(name, info.spanOptions, parent);
  const spanContext = trace.setSpan(parent, span);
  let log: Logger | undefined;
  let principal = options.principal;
  const ctx: CallContext = {
    method: name,
    get principal() {
      return principal;
    },
    signal,
    deadline,
    timeRemainingMs: () => Math.max(0, deadline - Date.now()),
    header: (key) => headers[key.toLowerCase()],
    peer: call.getPeer(),
    // A child logger only for calls that log.
    get log() {
      log ??= options.log.child({ rpc: name });
      return log;
    },
    setHeader: (key, value) => {
      const metadata = new grpc.Metadata();
      metadata.set(key, value);
      call.sendMetadata(metadata);
    },
  };
  const open: OpenCall = {
    ctx,
    span,
    onAbort: undefined,
    // The acting principal follows the call into everything it starts: events it emits carry it.
    run: (fn) =>
      context.with(spanContext, () =>
        runActingAs(
          () => ({
            subject: principal.subject,
            teams: principal.teams,
            roles: principal.roles,
            ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
          }),
          fn,
        ),
      ),
    authenticate: async () => {
      if (!options.guard) return;
      // An open method (health) takes no credential and runs as nobody in particular.
      const { policy } = options.guard;
      if (policy && 'access' in policy && policy.access === 'open') {
        principal = anonymousPrincipal;
        return;
      }
      // grpc-js gives the peer certificate only once TLS verified it against the CA.
      const certificate = call.getAuthContext().sslPeerCertificate;
      principal = await options.guard.authenticator.authenticate(headers.authorization, certificate);
      // Only one of the platform's services (its certificate or its service token) may say whom
      // it acts for; any other caller saying so is refused, never silently taken at its word.
      const onBehalfOf = headers[onBehalfOfHeader];
      if (onBehalfOf !== undefined) {
        if (principal.service === undefined)
          throw new AppError(
            'permission_denied',
            `${onBehalfOfHeader}: ${principal.subject} is not a service's certificate or service token ("service" in FLYWHEEL_AUTH_CERT_PRINCIPALS or FLYWHEEL_AUTH_API_TOKENS_FILE), so it may not act on behalf of another principal`,
          );
        if (!onBehalfOfPattern.test(onBehalfOf))
          throw AppError.invalidArgument(
            onBehalfOfHeader,
            'must be a principal subject (up to 200 characters)',
          );
        principal = { ...principal, onBehalfOf };
      }
      span.setAttribute('enduser.id', principal.subject);
    },
    authorize: async (request) => {
      if (options.guard) await authorize(name, options.guard.policy, principal, request, signal);
    },
    fail: (thrown) => {
      // An abort wins over what the handler threw because of it.
      const error =
        signal.aborted && signal.reason instanceof AppError ? signal.reason : AppError.from(thrown);
      code = error.status;
      span.setAttribute('rpc.grpc.status_code', error.status);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      if (error.code === 'internal' || error.code === 'unknown' || error.code === 'data_loss') {
        context.with(spanContext, () => ctx.log.error('call failed', { error }));
      }
      return toGrpcStatus(error);
    },
    end: () => {
      ended = true;
      clearTimeout(timer);
      options.open.calls.delete(abort);
      options.metrics?.handled(startedAt, code);
      span.end();
    },
  };
  if (options.open.shutdownReason) abort(options.open.shutdownReason);
  return open;
}

/** Rejects with the abort's AppError once `signal` aborts; never resolves otherwise. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void =>
      reject(signal.reason instanceof AppError ? signal.reason : AppError.from(signal.reason));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/**
 * The answer's bytes, encoded once (grpc-js sends them as they are), or `resource_exhausted` when
 * over the limit: refused here, typed and named, instead of grpc-js's bare status after the fact.
 */
function encodeAnswer(info: MethodInfo, limit: AnswerLimit, answer: unknown): Buffer {
  const bytes = encodeMessage(info.method.output, answer as Parameters<typeof encodeMessage>[1]);
  if (bytes.length > limit.maxBytes) {
    throw answerTooLarge({
      rpc: info.name,
      bytes: bytes.length,
      maxBytes: limit.maxBytes,
      ...(limit.setting === undefined ? {} : { setting: limit.setting }),
      ...(limit.hint === undefined ? {} : { hint: limit.hint }),
    });
  }
  return bytes;
}

/** The request, decoded and valid, or an INVALID_ARGUMENT AppError. */
function admit(method: DescMethod, request: unknown): Message {
  if (request instanceof UndecodableRequest) {
    throw new AppError('invalid_argument', `request is not a valid ${request.typeName}: ${request.reason}`);
  }
  validateMessage(method.input, request as Message);
  return request as Message;
}

/** The request, admitted and allowed by the method's policy. */
async function allowed(method: DescMethod, request: unknown, open: OpenCall): Promise<Message> {
  const message = admit(method, request);
  await open.authorize(message);
  return message;
}

/**
 * Each request message admitted and, with a guard, allowed: a stream may name another resource per
 * message. Read without `for await`: leaving that loop by a refusal would return (destroy) the
 * call's stream, and the status of the refusal would never reach the client.
 */
async function* admitted(
  method: DescMethod,
  requests: AsyncIterable<unknown>,
  open: OpenCall,
  guarded: boolean,
): AsyncIterable<Message> {
  const iterator = requests[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield guarded ? allowed(method, next.value, open) : admit(method, next.value);
  }
}

function unimplemented(method: DescMethod): never {
  throw new AppError(
    'unimplemented',
    `${method.parent.typeName}/${method.name} is not implemented yet in this version of Flywheel`,
  );
}

function wrapMethod(
  method: DescMethod,
  handler: AnyHandler | undefined,
  options: WrapOptions,
): grpc.UntypedHandleCall {
  const impl: AnyHandler = handler ?? (() => unimplemented(method));
  const info = methodInfo(method);
  switch (method.methodKind) {
    case 'unary':
    case 'client_streaming':
      return (
        call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const open = openCall(call, info, options);
        const guarded = options.guard !== undefined;
        const input =
          method.methodKind === 'unary'
            ? () => admit(method, (call as grpc.ServerUnaryCall<unknown, unknown>).request)
            : () => admitted(method, call as grpc.ServerReadableStream<unknown, unknown>, open, guarded);
        // Answers once: with the handler's result, or with the abort that came first.
        let answered = false;
        const answer = (error: Partial<grpc.StatusObject> | null, response?: unknown): void => {
          if (answered) return;
          answered = true;
          if (error) callback(error);
          else callback(null, response);
          open.end();
        };
        open.onAbort = (reason) => answer(open.fail(reason));
        if (open.ctx.signal.aborted) {
          answer(open.fail(open.ctx.signal.reason));
          return;
        }
        // Without a guard the hot path stays as it was: no extra await per call.
        const run = guarded
          ? async () => {
              await open.authenticate();
              const request = input();
              if (method.methodKind === 'unary') await open.authorize(request as Message);
              return encodeAnswer(info, options.answerLimit, await impl(request, open.ctx));
            }
          : async () => encodeAnswer(info, options.answerLimit, await impl(input(), open.ctx));
        open.run(run).then(
          (response) => answer(null, response),
          (thrown: unknown) => answer(open.fail(thrown)),
        );
      };
    case 'server_streaming':
    case 'bidi_streaming':
      return (
        call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
      ) => {
        const open = openCall(call, info, options);
        const stream = async (): Promise<void> => {
          const guarded = options.guard !== undefined;
          if (guarded) await open.authenticate();
          const input =
            method.methodKind === 'server_streaming'
              ? await allowed(method, (call as grpc.ServerWritableStream<unknown, unknown>).request, open)
              : admitted(method, call as grpc.ServerDuplexStream<unknown, unknown>, open, guarded);
          const responses = impl(input, open.ctx) as AsyncIterable<unknown>;
          const aborted = whenAborted(open.ctx.signal);
          const iterator = responses[Symbol.asyncIterator]();
          try {
            for (;;) {
              const next = await Promise.race([iterator.next(), aborted]);
              if (next.done) break;
              const bytes = encodeAnswer(info, options.answerLimit, next.value);
              if (!call.write(bytes)) await Promise.race([onceDrained(call), aborted]);
            }
          } finally {
            void iterator.return?.();
          }
        };
        open
          .run(stream)
          .then(
            () => call.end(),
            (thrown: unknown) => call.emit('error', open.fail(thrown)),
          )
          .finally(() => open.end());
      };
  }
}

function onceDrained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}
