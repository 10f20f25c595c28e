import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { Logger } from '@flywheel/core';
import type { Principal } from './auth/principal.ts';

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** `package.Service/Method`. */
  readonly method: string;
  /** Aborts when the deadline passes, the client cancels, or the server shuts down; pass it to every I/O call. */
  readonly signal: AbortSignal;
  /** Absolute deadline, epoch milliseconds: the client's, else the server's default. */
  readonly deadline: number;
  /** Milliseconds left until the deadline. */
  timeRemainingMs(): number;
  /** A request header (gRPC metadata), lower-case name; the first value when repeated. */
  header(name: string): string | undefined;
  /**
   * Who calls: verified by the kernel from the call's credential when auth is on, else the one
   * local principal. The only source of identity; never a request field.
   */
  readonly principal: Principal;
  /** The client's address. */
  readonly peer: string;
  /** Carries the call's method and trace id. */
  readonly log: Logger;
  /** Sends a response header before the first message (e.g. for streaming). */
  setHeader(name: string, value: string): void;
}

type Awaitable<T> = T | Promise<T>;
type In<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? MessageInitShape<O> : never;

/**
 * An answer a unary handler encoded itself (a hot path that writes its protobuf bytes directly):
 * sent as it is, after the same size check as any answer. It must be the bytes of the method's
 * output message.
 */
export type EncodedAnswer = Buffer;

/** The handler type for one method, by its kind. */
export type MethodImpl<M> = M extends { methodKind: 'unary' }
  ? (request: In<M>, ctx: CallContext) => Awaitable<Out<M> | EncodedAnswer>
  : M extends { methodKind: 'server_streaming' }
    ? (request: In<M>, ctx: CallContext) => AsyncIterable<Out<M>>
    : M extends { methodKind: 'client_streaming' }
      ? (requests: AsyncIterable<In<M>>, ctx: CallContext) => Awaitable<Out<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? (requests: AsyncIterable<In<M>>, ctx: CallContext) => AsyncIterable<Out<M>>
        : never;

/**
 * A service implementation: handlers keyed by the method's local (lowerCamel) name. Methods left
 * out answer UNIMPLEMENTED, saying the method is not built yet.
 */
export type ServiceImpl<S extends GenServiceMethods> = { [K in keyof S]?: MethodImpl<S[K]> };

/** The implementation type of a generated service: `ImplOf<typeof RegistryService>`. */
export type ImplOf<T> = T extends GenService<infer S> ? ServiceImpl<S> : never;
