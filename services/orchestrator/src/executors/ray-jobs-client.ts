import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { JsonObject } from '@bufbuild/protobuf';

/** A Ray job's status (Ray's `JobStatus`). */
export type RayJobStatus = 'PENDING' | 'RUNNING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED';

export const terminalRayStatuses: ReadonlySet<RayJobStatus> = new Set(['STOPPED', 'SUCCEEDED', 'FAILED']);

/** What `GET /api/jobs/{id}` tells (the fields used here). */
export interface RayJobInfo {
  submission_id: string;
  status: RayJobStatus;
  message?: string | null;
  error_type?: string | null;
  driver_exit_code?: number | null;
  metadata?: Record<string, string> | null;
}

/** The body of `POST /api/jobs/` (Ray's `JobSubmitRequest`). */
export interface RaySubmitRequest {
  entrypoint: string;
  submission_id: string;
  runtime_env?: JsonObject;
  metadata?: Record<string, string>;
  entrypoint_num_cpus?: number;
  entrypoint_num_gpus?: number;
  entrypoint_memory?: number;
  entrypoint_resources?: Record<string, number>;
}

/** One node of the cluster, from Ray's State API (`GET /api/v0/nodes`, Ray's `NodeState`). */
export interface RayNode {
  node_id: string;
  state: 'ALIVE' | 'DEAD';
  /** Resource name → amount: `CPU`, `GPU`, `memory` (bytes), custom resources. */
  resources_total: Record<string, number>;
}

/** An HTTP answer of Ray's dashboard other than 2xx; `status` 0 when Ray was not reached. */
export class RayHttpError extends Error {
  override readonly name = 'RayHttpError';
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
  /** Ray down, restarting or overloaded: worth asking again. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** The Ray Jobs REST API of one cluster (its dashboard's address, `http://host:8265`). */
export interface RayJobsClient {
  /** Submits a job; rejects with a RayHttpError (`alreadyExists` tells a taken submission id). */
  submit(request: RaySubmitRequest): Promise<void>;
  /** The job's info, or undefined when Ray has no job with that submission id. */
  get(submissionId: string): Promise<RayJobInfo | undefined>;
  /** The job's whole log so far (Ray merges stdout and stderr). */
  logs(submissionId: string): Promise<string>;
  /** Asks Ray to stop the job; false when it had already ended. */
  stop(submissionId: string): Promise<boolean>;
  /** Every node Ray knows, dead ones included, with its total resources. */
  nodes(): Promise<RayNode[]>;
}

export interface RayJobsClientOptions {
  /** Per request, ms. Default 15 000. */
  requestTimeoutMs?: number;
}

/** Whether a submit failed because the submission id is taken (Ray answers 500 with a ValueError). */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof RayHttpError && /already exists/i.test(error.message);
}

export function createRayJobsClient(address: string, options: RayJobsClientOptions = {}): RayJobsClient {
  const base = address.replace(/\/+$/, '');
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;

  const call = (method: 'GET' | 'POST', path: string, body?: unknown): Promise<RayAnswer> =>
    send(method, `${base}${path}`, body, requestTimeoutMs).catch((error: unknown) => {
      throw new RayHttpError(
        0,
        `Ray at ${base} did not answer ${method} ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    });

  const failed = (answer: RayAnswer, what: string): never => {
    // Ray answers errors with a Python traceback: its last line is the message.
    const lines = answer.text.split('\n').filter((line) => line.trim() !== '' && line.trim() !== '.');
    throw new RayHttpError(
      answer.status,
      `Ray refused ${what} (HTTP ${answer.status}): ${lines.at(-1) ?? ''}`,
    );
  };
  const json = <T>(answer: RayAnswer): T => JSON.parse(answer.text) as T;

  const id = (submissionId: string) => encodeURIComponent(submissionId);

  return {
    submit: async (request) => {
      const answer = await call('POST', '/api/jobs/', request);
      if (!ok(answer)) failed(answer, `job ${request.submission_id}`);
    },
    get: async (submissionId) => {
      const answer = await call('GET', `/api/jobs/${id(submissionId)}`);
      if (answer.status === 404) return undefined;
      if (!ok(answer)) failed(answer, `the status of job ${submissionId}`);
      return json<RayJobInfo>(answer);
    },
    logs: async (submissionId) => {
      const answer = await call('GET', `/api/jobs/${id(submissionId)}/logs`);
      if (!ok(answer)) failed(answer, `the logs of job ${submissionId}`);
      return json<{ logs?: string }>(answer).logs ?? '';
    },
    stop: async (submissionId) => {
      const answer = await call('POST', `/api/jobs/${id(submissionId)}/stop`);
      if (!ok(answer)) failed(answer, `to stop job ${submissionId}`);
      return json<{ stopped?: boolean }>(answer).stopped === true;
    },
    nodes: async () => {
      // The State API's list (what `ray list nodes --detail` reads); detail brings resources_total.
      const answer = await call('GET', `/api/v0/nodes?detail=1&limit=${maxListedNodes}`);
      if (!ok(answer)) failed(answer, 'the list of nodes');
      const body = json<{ data?: { result?: { result?: RayNode[] } } }>(answer);
      const nodes = body.data?.result?.result;
      if (!Array.isArray(nodes))
        throw new RayHttpError(answer.status, `Ray answered the list of nodes without data.result.result`);
      return nodes;
    },
  };
}

/** The State API truncates its lists at `limit` (default 100); more nodes than this is no cluster seen yet. */
const maxListedNodes = 10_000;

interface RayAnswer {
  status: number;
  text: string;
}

const ok = (answer: RayAnswer): boolean => answer.status >= 200 && answer.status < 300;

/**
 * One HTTP request with node:http, not fetch: Ray's dashboard refuses POSTs that look like a
 * browser's, and fetch always sends `Sec-Fetch-Mode`, one of the headers it takes for that.
 */
function send(method: string, url: string, body: unknown, timeoutMs: number): Promise<RayAnswer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        timeout: timeoutMs,
        headers: {
          'user-agent': 'flywheel-orchestrator',
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.byteLength } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
