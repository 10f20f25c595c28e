import type { IncomingMessage, ServerResponse } from 'node:http';
import { create, toJson } from '@bufbuild/protobuf';
import { AppError, type Logger } from '@flywheel/core';
import { type MetricsRegistry, sendMetrics } from '@flywheel/metrics';
import {
  ExplainMethod,
  ExplainRequestSchema,
  ExplainResponseSchema,
} from '@flywheel/proto/flywheel/serving/v1/serving_pb.js';
import { ModelStatisticsResponseSchema } from '@flywheel/proto/inference/grpc_service_pb.js';
import {
  type EnabledTlsConfig,
  type HttpAuth,
  type HttpHandler,
  type HttpServer,
  httpMethodNotAllowed as methodNotAllowed,
  type Principal,
  readHttpBody as readBody,
  sendHttp as send,
  sendHttpJson as sendJson,
  startHttpServer,
} from '@flywheel/rpc';
import type { ServedModels } from '../deployments/served-models.ts';
import type { Explain } from '../inference/explain/explain.ts';
import type { Infer } from '../inference/infer.ts';
import type { ModelStatisticsBook } from '../observability/model-statistics.ts';
import { modelConfigJson, modelConfigOf } from './model-config.ts';
import { repositoryIndex, repositoryModelLoad, repositoryModelUnload } from './model-repository.ts';
import { modelIsReady, modelMetadataOf, serverMetadataOf } from './oip-api.ts';
import type { PrincipalLimits } from './principal-limits.ts';
import { decodeRestInferRequest, encodeRestInferResponse } from './rest-tensors.ts';

export interface RestApiDeps {
  served: ServedModels;
  infer: Infer;
  explain: Explain;
  statistics: ModelStatisticsBook;
  /** The service's registry, answered at `GET /metrics` (the same one the host's metrics endpoint serves). */
  metrics: MetricsRegistry;
  /** Largest request body accepted, bytes; larger ones are answered 413 before being read whole. */
  maxBodyBytes: number;
  log: Logger;
  /** Admits each request by its principal (health excepted); absent: no limit. */
  limits: PrincipalLimits | undefined;
  /** Who calls when auth is off. */
  localPrincipal: Principal;
  /** When auth is on: who may call each route (health stays open). */
  auth?: HttpAuth;
  /** Serve HTTPS (`FLYWHEEL_TLS_*`); absent: HTTP. */
  tls?: EnabledTlsConfig;
}

/** A started REST server. */
export type RestServer = HttpServer;

const modelPath =
  /^\/v2\/models\/(?<model>[^/]+)(?:\/versions\/(?<version>[^/]+))?(?:\/(?<action>ready|infer|explain|stats|config|generate|generate_stream|trace\/setting))?$/;
const repositoryModelPath = /^\/v2\/repository\/models\/(?<model>[^/]+)\/(?<action>load|unload)$/;
/** Triton routes of extensions serving does not serve: 501, saying so, rather than 404. */
const unservedRoutes = /^\/v2\/(?:systemsharedmemory|cudasharedmemory|trace\/setting|logging)(?:\/|$)/;

/**
 * The Open Inference Protocol v2 over HTTP/REST (KServe v2 JSON + Triton's binary tensor data
 * extension, as tritonclient.http speaks it) and the Prometheus endpoint `/metrics`, on node:http:
 * `GET /v2`, `/v2/health/live|ready`, `/v2/models/{m}[/versions/{v}]` (metadata), `…/ready`,
 * `POST …/infer`, `POST …/explain` (ServingService.Explain in JSON), `GET /v2/models/stats`, `…/stats` (Triton statistics extension),
 * `GET …/config` (Triton model configuration), `POST /v2/repository/index` and
 * `POST /v2/repository/models/{m}/load|unload` (Triton model repository), `GET /metrics`.
 * Errors are `{"error": "…"}` with the HTTP status of their code; Triton routes not served are 501.
 */
export function startRestApi(address: string, deps: RestApiDeps): Promise<RestServer> {
  const { limits } = deps;
  const handler: HttpHandler = limits
    ? async (req, res, principal) => {
        const path = new URL(req.url ?? '/', 'http://server').pathname;
        // Probes are never limited; an open route with auth on has no principal to count.
        if (principal && path !== '/v2/health/live' && path !== '/v2/health/ready') limits.admit(principal);
        return handle(req, res, deps);
      }
    : (req, res) => handle(req, res, deps);
  return startHttpServer(address, handler, {
    localPrincipal: deps.localPrincipal,
    log: deps.log,
    setting: 'FLYWHEEL_SERVING_HTTP_ADDRESS',
    ...(deps.auth ? { auth: deps.auth } : {}),
    ...(deps.tls ? { tls: deps.tls } : {}),
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: RestApiDeps): Promise<void> {
  const { served } = deps;
  const path = new URL(req.url ?? '/', 'http://server').pathname;
  const method = req.method ?? 'GET';
  const get = (): void => {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, path, 'GET');
  };
  if (path === '/metrics') {
    get();
    return sendMetrics(deps.metrics, req, res);
  }
  if (path === '/v2') {
    get();
    return sendJson(res, 200, serverMetadataOf());
  }
  if (path === '/v2/health/live') {
    get();
    return sendJson(res, 200, { live: true });
  }
  if (path === '/v2/health/ready') {
    get();
    const ready = served.ready();
    return sendJson(res, ready ? 200 : 400, { ready });
  }
  if (path === '/v2/models/stats') {
    get();
    return sendJson(res, 200, statisticsJson(deps, '', ''));
  }
  if (path === '/v2/repository/index') {
    if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
    const body = await jsonBody(req, deps.maxBodyBytes, ['repository_name', 'ready']);
    if (body.ready !== undefined && typeof body.ready !== 'boolean') {
      throw AppError.invalidArgument('ready', 'must be a boolean');
    }
    const repositoryName = textField(body, 'repository_name');
    return sendJson(res, 200, repositoryIndex(served, repositoryName, body.ready === true));
  }
  const repository = repositoryModelPath.exec(path);
  if (repository?.groups) {
    if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
    const modelName = decodePart(repository.groups.model!, 'model name');
    const body = await jsonBody(req, deps.maxBodyBytes, ['repository_name', 'parameters']);
    const parameters = body.parameters ?? {};
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      throw AppError.invalidArgument('parameters', 'must be an object');
    }
    const request = { repositoryName: textField(body, 'repository_name'), modelName };
    if (repository.groups.action === 'unload') repositoryModelUnload(served, request);
    repositoryModelLoad(served, { ...request, parameters: parameters as Record<string, unknown> });
    return sendJson(res, 200, {});
  }
  if (unservedRoutes.test(path)) throw unserved(path);
  const match = modelPath.exec(path);
  if (!match?.groups) throw new AppError('not_found', `no route for ${method} ${path}`);
  const model = decodePart(match.groups.model!, 'model name');
  const version = match.groups.version === undefined ? '' : decodePart(match.groups.version, 'version');
  switch (match.groups.action) {
    case undefined:
      get();
      return sendJson(res, 200, modelMetadataOf(served, model, version));
    case 'ready': {
      get();
      const ready = modelIsReady(served, model, version);
      return sendJson(res, ready ? 200 : 400, { name: model, ready });
    }
    case 'stats':
      get();
      return sendJson(res, 200, statisticsJson(deps, model, version));
    case 'config':
      get();
      return sendJson(res, 200, modelConfigJson(modelConfigOf(served, model, version)));
    case 'generate':
    case 'generate_stream':
    case 'trace/setting':
      throw unserved(path);
    default:
      if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
      if (match.groups.action === 'explain') return explain(req, res, deps, model, version);
      return infer(req, res, deps, model, version);
  }
}

async function infer(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RestApiDeps,
  model: string,
  version: string,
): Promise<void> {
  const headerText = req.headers['inference-header-content-length'];
  let headerLength: number | undefined;
  if (headerText !== undefined) {
    headerLength = Number(headerText);
    if (!/^\d+$/.test(String(headerText))) {
      throw AppError.invalidArgument(
        'Inference-Header-Content-Length',
        `must be a byte count, got "${headerText}"`,
      );
    }
  }
  const body = await readBody(req, deps.maxBodyBytes);
  const signature = deps.served.get(model)?.live?.runner.signature;
  const decoded = decodeRestInferRequest(
    model,
    version,
    body,
    headerLength,
    (input) => signature?.inputs.find((spec) => spec.name === input)?.datatype,
  );
  const aborted = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) aborted.abort(new AppError('cancelled', 'the HTTP client went away'));
  };
  res.once('close', onClose);
  const response = await deps.infer(decoded.request, { signal: aborted.signal });
  const encoded = encodeRestInferResponse(response, decoded);
  if (encoded.binary.length === 0) {
    return send(res, 200, 'application/json', encoded.header);
  }
  const length = encoded.header.length + encoded.binary.reduce((sum, part) => sum + part.length, 0);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': String(encoded.header.length),
    'content-length': String(length),
  });
  res.write(encoded.header);
  for (const part of encoded.binary) res.write(part);
  res.end();
}

/** Fields of a REST explain body besides `inputs` and `background`, by ExplainRequest field. */
const explainFields = new Set(['method', 'nsamples', 'output', 'output_index', 'seed']);

/**
 * `POST …/explain`: a JSON body `{inputs, background?: {inputs}, method?, nsamples?, output?,
 * output_index?, seed?}` (inputs as an infer body has them; method "LINEAR_EXACT", "KERNEL_SHAP" or
 * the enum's full name), answered with ExplainResponse as proto JSON with field names as in the proto.
 */
async function explain(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RestApiDeps,
  model: string,
  version: string,
): Promise<void> {
  const body = await readBody(req, deps.maxBodyBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw AppError.invalidArgument('body', `is not a JSON explain request: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AppError.invalidArgument('body', 'must be a JSON object');
  }
  const json = parsed as Record<string, unknown>;
  for (const key of Object.keys(json)) {
    if (key !== 'inputs' && key !== 'background' && !explainFields.has(key)) {
      throw AppError.invalidArgument(key, 'is not a field of an explain request');
    }
  }
  const signature = deps.served.get(model)?.live?.runner.signature;
  const datatypeOf = (input: string): string | undefined =>
    signature?.inputs.find((spec) => spec.name === input)?.datatype;
  const tensors = (value: unknown, prefix: string, name: string, ver: string) => {
    try {
      return decodeRestInferRequest(
        name,
        ver,
        Buffer.from(JSON.stringify({ inputs: value })),
        undefined,
        datatypeOf,
      ).request;
    } catch (error) {
      const appError = AppError.from(error);
      if (prefix === '' || appError.code !== 'invalid_argument') throw appError;
      throw new AppError('invalid_argument', `${prefix}.${appError.message}`, {
        field: `${prefix}.${appError.field ?? 'inputs'}`,
      });
    }
  };
  let background: ReturnType<typeof tensors> | undefined;
  if (json.background !== undefined) {
    const given = json.background;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw AppError.invalidArgument('background', 'must be an object {"inputs": [...]}');
    }
    const extra = Object.keys(given).find((key) => key !== 'inputs');
    if (extra !== undefined)
      throw AppError.invalidArgument(`background.${extra}`, 'is not used; give only inputs');
    background = tensors((given as Record<string, unknown>).inputs, 'background', '', '');
  }
  const methodName = json.method ?? 'UNSPECIFIED';
  const methodValue =
    typeof methodName === 'string'
      ? ExplainMethod[methodName.replace(/^EXPLAIN_METHOD_/, '') as keyof typeof ExplainMethod]
      : undefined;
  if (methodValue === undefined) {
    throw AppError.invalidArgument(
      'method',
      `must be "LINEAR_EXACT" or "KERNEL_SHAP", got ${JSON.stringify(methodName)}`,
    );
  }
  const integer = (key: string, value: unknown, max = 2 ** 31 - 1): number => {
    if (value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
      throw AppError.invalidArgument(
        key,
        `must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  if (json.output !== undefined && typeof json.output !== 'string') {
    throw AppError.invalidArgument('output', 'must be a string');
  }
  const request = create(ExplainRequestSchema, {
    rows: tensors(json.inputs, '', model, version),
    method: methodValue,
    ...(background ? { background } : {}),
    nsamples: integer('nsamples', json.nsamples),
    output: (json.output as string | undefined) ?? '',
    outputIndex: integer('output_index', json.output_index),
    seed: BigInt(integer('seed', json.seed, Number.MAX_SAFE_INTEGER)),
  });
  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort(new AppError('cancelled', 'the HTTP client went away'));
  });
  const response = create(ExplainResponseSchema, await deps.explain(request, { signal: aborted.signal }));
  return sendJson(
    res,
    200,
    toJson(ExplainResponseSchema, response, { useProtoFieldName: true, alwaysEmitImplicit: true }),
  );
}

function statisticsJson(deps: RestApiDeps, name: string, version: string): unknown {
  if (name !== '' && !deps.served.get(name) && !deps.statistics.has(name)) {
    throw new AppError('not_found', `model "${name}" is not deployed on this server`);
  }
  const message = create(ModelStatisticsResponseSchema, { modelStats: deps.statistics.query(name, version) });
  return integersAsNumbers(
    toJson(ModelStatisticsResponseSchema, message, { useProtoFieldName: true, alwaysEmitImplicit: true }),
  );
}

/** JSON.rawJSON (Node ≥ 21): a value JSON.stringify writes as the given text, unquoted. */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** Fields of the statistics that are strings, not 64-bit integers. */
const textFields = new Set(['name', 'version', 'type']);

/**
 * Proto JSON with its 64-bit integers as JSON numbers (exact, written as their digits), as Triton
 * writes statistics: perf_analyzer reads them with rapidjson's GetUint64, which on a string reads
 * its bytes as the number.
 */
function integersAsNumbers(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => integersAsNumbers(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, integersAsNumbers(v, k)]));
  }
  if (typeof value === 'string' && !textFields.has(key) && /^-?\d+$/.test(value)) return rawJson(value);
  return value;
}

function unserved(path: string): AppError {
  return new AppError(
    'unimplemented',
    `${path} is not served: serving implements Triton's model configuration, model repository and statistics extensions (no shared memory, trace, logging or generate)`,
  );
}

/** A JSON object body with only `fields` (an empty body is `{}`). */
async function jsonBody(
  req: IncomingMessage,
  maxBodyBytes: number,
  fields: readonly string[],
): Promise<Record<string, unknown>> {
  const body = await readBody(req, maxBodyBytes);
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw AppError.invalidArgument('body', `is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AppError.invalidArgument('body', 'must be a JSON object');
  }
  const extra = Object.keys(parsed).find((key) => !fields.includes(key));
  if (extra !== undefined) throw AppError.invalidArgument(extra, 'is not a field of this request');
  return parsed as Record<string, unknown>;
}

function textField(body: Record<string, unknown>, key: string): string {
  const value = body[key] ?? '';
  if (typeof value !== 'string') throw AppError.invalidArgument(key, 'must be a string');
  return value;
}

function decodePart(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw AppError.invalidArgument(what, `"${text}" is not valid URL encoding`);
  }
}
