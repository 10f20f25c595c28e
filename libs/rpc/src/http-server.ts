import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type PeerCertificate, TLSSocket } from 'node:tls';
import { createGunzip, createInflate } from 'node:zlib';
import { AppError, type ErrorCodeName, type Logger, runActingAs } from '@flywheel/core';
import { authorize, type MethodPolicy } from './auth/access-policy.ts';
import type { Authenticator } from './auth/authenticator.ts';
import type { Principal } from './auth/principal.ts';
import type { EnabledTlsConfig } from './tls/tls-config.ts';
import { httpsServerOptions, secureContextOf } from './tls/tls-credentials.ts';

// The HTTP/JSON side of a service (serving's REST API, the feature store's Feast-style API): one
// listener, one error shape, one body reader, so every HTTP API answers errors the same way.

/** A started HTTP server. */
export interface HttpServer {
  /** host:port it listens on (the bound port when asked for port 0). */
  readonly address: string;
  /** Stops accepting, ends idle and in-flight connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Handles one request; a thrown error is answered by {@link sendHttpError}. `principal` is the
 * verified caller (the local principal when auth is off; for an `open` route with auth on, undefined).
 */
export type HttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal | undefined,
) => Promise<void>;

/**
 * Who may call an HTTP API: the kernel authenticates `authorization: Bearer …` and checks the
 * route's policy before the handler, like the gRPC server does for each method.
 */
export interface HttpAuth {
  authenticator: Authenticator;
  /** The policy of a request's route (method and path); `{ access: 'open' }` for health. */
  policyOf(req: IncomingMessage, path: string): MethodPolicy<IncomingMessage>;
}

/** HTTP status of each error code (KServe v2 REST / Triton conventions); 500 otherwise. */
const statusOf: Partial<Record<ErrorCodeName, number>> = {
  invalid_argument: 400,
  out_of_range: 400,
  failed_precondition: 400,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  cancelled: 499,
  unimplemented: 501,
  unavailable: 503,
  deadline_exceeded: 504,
};

/** The HTTP status an error is answered with: `details.httpStatus` if set, else by its code. */
export function httpStatusOf(error: AppError): number {
  const override = error.details.httpStatus;
  return override === undefined ? (statusOf[error.code] ?? 500) : Number(override);
}

/** Runs a request's work as its caller, so the events it emits carry who asked. */
function actingAs<T>(principal: Principal | undefined, fn: () => T): T {
  return principal
    ? runActingAs({ subject: principal.subject, teams: principal.teams, roles: principal.roles }, fn)
    : fn();
}

/**
 * Listens on `address` (`host:port`, `[v6]:port`; port 0 picks one) with keep-alive, answering
 * what `handler` throws as `{"error": "…", "field"?: "…"}` with {@link httpStatusOf}. `setting`
 * names the variable the address came from, for the error when it is not host:port. With `tls`
 * it serves HTTPS (client certificates per its `clientAuth`), re-reading the certificate files
 * every `reloadMs`.
 */
export async function startHttpServer(
  address: string,
  handler: HttpHandler,
  options: {
    log: Logger;
    setting: string;
    auth?: HttpAuth;
    localPrincipal?: Principal;
    tls?: EnabledTlsConfig;
  },
): Promise<HttpServer> {
  const { auth } = options;
  const guarded = async (req: IncomingMessage, res: ServerResponse, auth: HttpAuth): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://server').pathname;
    const policy = auth.policyOf(req, path);
    if ('access' in policy && policy.access === 'open') return handler(req, res, undefined);
    const principal = await auth.authenticator.authenticate(
      req.headers.authorization,
      verifiedCertificateOf(req),
    );
    await authorize(`${req.method ?? 'GET'} ${path}`, policy, principal, req, AbortSignal.timeout(30_000));
    return actingAs(principal, () => handler(req, res, principal));
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const local = options.localPrincipal;
    (auth ? guarded(req, res, auth) : actingAs(local, () => handler(req, res, local))).catch(
      (error: unknown) => sendHttpError(res, AppError.from(error), options.log),
    );
  };
  const { tls } = options;
  const server: Server = tls
    ? createHttpsServer({ keepAliveTimeout: 65_000, ...httpsServerOptions(tls) }, listener)
    : createServer({ keepAliveTimeout: 65_000 }, listener);
  const reload = tls ? reloadCertificates(server as HttpsServer, tls, options.log) : undefined;
  const { host, port } = splitAddress(address, options.setting);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${bound.port}`,
    close: () => {
      if (reload) clearInterval(reload);
      closed ??= closeServer(server);
      return closed;
    },
  };
}

/**
 * Reads a request body, inflating gzip/deflate. Refused with `resource_exhausted` (HTTP 413)
 * past `maxBytes` before it is read whole; `invalid_argument` for another Content-Encoding.
 */
export async function readHttpBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let stream: NodeJS.ReadableStream = req;
  if (encoding === 'gzip') stream = req.pipe(createGunzip());
  else if (encoding === 'deflate') stream = req.pipe(createInflate());
  else if (encoding !== 'identity') {
    throw AppError.invalidArgument(
      'Content-Encoding',
      `"${encoding}" is not supported; use gzip, deflate or none`,
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw AppError.invalidArgument('body', `cannot be read: ${(error as Error).message}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Reads a body that must be one JSON object; `invalid_argument` naming `body` otherwise. */
export async function readHttpJsonObject(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const body = await readHttpBody(req, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw AppError.invalidArgument('body', `is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AppError.invalidArgument('body', 'must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'resource_exhausted',
    `the request body is larger than ${maxBytes} bytes, the server's limit`,
    { details: { httpStatus: '413' }, retriable: false },
  );
}

/** The error for a method a path does not take (HTTP 405). */
export function httpMethodNotAllowed(method: string, path: string, allowed: string): AppError {
  return new AppError('unimplemented', `${method} ${path} is not allowed; use ${allowed}`, {
    details: { httpStatus: '405' },
  });
}

/** Answers `body` as JSON. */
export function sendHttpJson(res: ServerResponse, status: number, body: unknown): void {
  sendHttp(res, status, 'application/json', JSON.stringify(body));
}

/** Answers `body` with its Content-Type and Content-Length. */
export function sendHttp(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(bytes.length) });
  res.end(bytes);
}

/**
 * Answers an error as `{"error": message, "field"?: field}` with {@link httpStatusOf}; internal
 * ones are logged. Once headers are sent, the connection is cut instead.
 */
export function sendHttpError(res: ServerResponse, error: AppError, log: Logger): void {
  if (error.code === 'internal' || error.code === 'unknown') {
    log.error('HTTP request failed', { error });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The body may be unread (error before reading): close the connection rather than drain it.
  if (!res.req.complete) res.setHeader('connection', 'close');
  // A limit that names when to come back (RFC 9110 §10.2.3), e.g. a per-principal rate limit.
  const retryAfter = error.details.retryAfterSeconds;
  if (retryAfter !== undefined) res.setHeader('retry-after', retryAfter);
  sendHttpJson(res, httpStatusOf(error), {
    error: error.message,
    ...(error.field === undefined ? {} : { field: error.field }),
  });
}

/** The client certificate of an mTLS request, only when TLS verified it against the CA. */
function verifiedCertificateOf(req: IncomingMessage): PeerCertificate | undefined {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const certificate = socket.getPeerCertificate();
  return certificate.raw ? certificate : undefined;
}

/** Re-reads the certificate files every `reloadMs`; a changed set becomes the server's context. */
function reloadCertificates(server: HttpsServer, tls: EnabledTlsConfig, log: Logger): NodeJS.Timeout {
  const fingerprint = (): string =>
    [tls.certFile, tls.keyFile, tls.caFile]
      .map((file) => (file ? readFileSync(file, 'latin1') : ''))
      .join('\0');
  let last = fingerprint();
  const timer = setInterval(() => {
    try {
      const now = fingerprint();
      if (now === last) return;
      server.setSecureContext(secureContextOf(tls));
      last = now;
      log.info('TLS certificates reloaded', { cert: tls.certFile });
    } catch (error) {
      // A rotation caught half-written: keep serving with the previous certificates, retry later.
      log.warn('TLS certificates not reloaded; keeping the previous ones', {
        cert: tls.certFile,
        error: (error as Error).message,
      });
    }
  }, tls.reloadMs);
  timer.unref();
  return timer;
}

function splitAddress(address: string, setting: string): { host: string; port: number } {
  const match = /^(?:\[(?<v6>[^\]]+)\]|(?<host>[^:]+)):(?<port>\d+)$/.exec(address);
  if (!match?.groups) throw AppError.invalidArgument(setting, `"${address}" is not host:port`);
  return { host: match.groups.v6 ?? match.groups.host!, port: Number(match.groups.port) };
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1_000).unref();
  });
}
