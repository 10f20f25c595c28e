import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import {
  AppError,
  type CallOptions,
  deadlineSignal,
  type Logger,
  silentLogger,
  throwIfAborted,
} from '@flywheel/core';
import { Client, type ClientOptions, CopyDestinationOptions, CopySourceOptions } from 'minio';
import { abortable, sourceChunks, untilAborted } from './abortable.ts';
import type { BlobRef, BlobSource, BlobStore, PutOptions } from './blob-store.ts';
import { collectBytes } from './collect-bytes.ts';
import { s3Error } from './s3-errors.ts';
import { assertSha256, isSha256 } from './sha256.ts';
import { verifyStream } from './verify-stream.ts';

/** Options of {@link createS3Blobs}. */
export interface S3BlobsOptions {
  /** `http://host:port` or `https://host[:port]`, no path. Requests are path-style (`/bucket/key`). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Signing region, e.g. `us-east-1`. */
  region: string;
  /** https: PEM certificates of the CAs to trust instead of the system's (a private CA). */
  ca?: string;
  /** Created on first use when missing. */
  bucket: string;
  log?: Logger;
  /** Default deadline of `put`, `get`, `getBytes` and `list`, ms. Default 10 min. */
  transferTimeoutMs?: number;
  /** Default deadline of `stat`, `delete` and each clean-up request, ms. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * Blobs up to this size are sent in one PUT; larger ones as a multipart upload of parts this big
   * (growing by this much every 1000 parts, so the 10,000-part limit allows ~430 GiB at the
   * default). At most about one part is in memory. Bytes, at least 5 MiB. Default 8 MiB.
   */
  partBytes?: number;
  /**
   * Once per store, after the bucket check, temporary uploads under `incoming/` older than this are
   * aborted and removed in the background: the leftovers of a process that crashed mid-put, for
   * servers without lifecycle rules (versitygw has none). Must exceed the longest put. ms; default
   * 24 h; `Infinity` turns it off.
   */
  sweepIncomingAfterMs?: number;
}

const MiB = 1024 * 1024;
const defaults = {
  transferTimeoutMs: 600_000,
  requestTimeoutMs: 30_000,
  partBytes: 8 * MiB,
  sweepIncomingAfterMs: 24 * 3_600_000,
};
/** The largest object a single CopyObject may copy; beyond it the copy is multipart. */
const maxSingleCopyBytes = 5 * 1024 * MiB;
const blobPrefix = 'sha256/';
const ignore = (): void => {};
const incomingPrefix = 'incoming/';

type Transport = NonNullable<ClientOptions['transport']>;

/**
 * A {@link BlobStore} on an S3 server (AWS S3, MinIO, versitygw…) through the `minio` client, with
 * SigV4-signed requests.
 *
 * Layout: a blob is the object `sha256/<hex>`, with user metadata `sha256` and `size`. A blob of
 * up to `partBytes` is hashed in memory and PUT straight to its key. A larger one is streamed as a
 * multipart upload to `incoming/<uuid>` while hashing (its digest, hence its key, is only known at
 * the end), then copied server-side onto `sha256/<hex>`, checked by a HEAD and the temporary object
 * removed; a failed or cancelled upload is aborted and removed in the background (`close()` waits
 * for that). Leftovers of a crash stay under `incoming/`, never listed or served, until a later
 * store sweeps them (see `sweepIncomingAfterMs`) or a bucket lifecycle rule expires them.
 *
 * `get` compares the recorded size with the object's length before streaming, then re-hashes
 * every byte. Every request carries the call's signal down to the socket, so a deadline or a
 * cancellation tears the request down: no call can hang. Retries are left to callers (the
 * `retriable` flag of the AppError); the client's own retry is off.
 */
export function createS3Blobs(options: S3BlobsOptions): BlobStore {
  const { accessKey, secretKey, region, bucket } = options;
  const endpoint = parseEndpoint(options.endpoint);
  if (!accessKey) throw AppError.invalidArgument('accessKey', 'must not be empty');
  if (!secretKey) throw AppError.invalidArgument('secretKey', 'must not be empty');
  if (!region) throw AppError.invalidArgument('region', 'must not be empty');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket ?? '')) {
    throw AppError.invalidArgument(
      'bucket',
      `must be 3-63 lower-case letters, digits, dots or dashes, got "${bucket}"`,
    );
  }
  const partBytes = options.partBytes ?? defaults.partBytes;
  if (!Number.isInteger(partBytes) || partBytes < 5 * MiB || partBytes > maxSingleCopyBytes) {
    throw AppError.invalidArgument('partBytes', `must be an integer from 5 MiB to 5 GiB, got ${partBytes}`);
  }
  const transferTimeoutMs = options.transferTimeoutMs ?? defaults.transferTimeoutMs;
  const requestTimeoutMs = options.requestTimeoutMs ?? defaults.requestTimeoutMs;
  const sweepIncomingAfterMs = options.sweepIncomingAfterMs ?? defaults.sweepIncomingAfterMs;
  const log = (options.log ?? silentLogger).child({ component: 's3-blobs', bucket });

  // The minio client takes no AbortSignal, so each call runs in an async context holding its
  // signal, and the transport hands that signal to http.request: aborting destroys the socket.
  const callContext = new AsyncLocalStorage<AbortSignal>();
  if (options.ca !== undefined && !endpoint.useSSL)
    throw AppError.invalidArgument('ca', 'is for an https: endpoint; this one is http:');
  const base = endpoint.useSSL ? https : http;
  const agent = endpoint.useSSL
    ? new https.Agent({ keepAlive: true, ...(options.ca === undefined ? {} : { ca: options.ca }) })
    : new http.Agent({ keepAlive: true });
  const transport = {
    request(requestOptions: http.RequestOptions, callback?: (response: IncomingMessage) => void) {
      const signal = callContext.getStore();
      return base.request(signal ? { ...requestOptions, signal } : requestOptions, callback);
    },
  } as unknown as Transport;
  const client = new Client({
    endPoint: endpoint.host,
    port: endpoint.port,
    useSSL: endpoint.useSSL,
    accessKey,
    secretKey,
    region,
    pathStyle: true,
    transport,
    transportAgent: agent,
    retryOptions: { disableRetry: true },
  });

  const keyOf = (sha256: string): string => `${blobPrefix}${sha256}`;

  /** Runs one minio call under `signal`, mapping whatever it throws. */
  async function call<T>(
    signal: AbortSignal,
    operation: string,
    key: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    throwIfAborted(signal);
    try {
      return await untilAborted(callContext.run(signal, fn), signal);
    } catch (thrown) {
      throw s3Error(thrown, operation, target(key), signal);
    }
  }
  const target = (key?: string) =>
    key === undefined ? { endpoint: endpoint.href, bucket } : { endpoint: endpoint.href, bucket, key };

  let bucketReady: Promise<void> | undefined;
  /** Checks (with a GET, whose error body tells bad credentials from missing permissions) and creates the bucket once. */
  function ensureBucket(signal: AbortSignal): Promise<void> {
    if (!bucketReady) {
      const attempt = (async () => {
        const own = deadlineSignal({}, requestTimeoutMs);
        try {
          await call(own, 'check bucket', undefined, () =>
            client.listObjectsQuery(bucket, blobPrefix, '', { Delimiter: '', MaxKeys: 1 }),
          );
          return;
        } catch (thrown) {
          if ((thrown as AppError).details?.s3Code !== 'NoSuchBucket') throw thrown;
        }
        try {
          await call(own, 'create bucket', undefined, () => client.makeBucket(bucket, region));
          log.info('bucket created');
        } catch (thrown) {
          if ((thrown as AppError).details?.s3Code !== 'BucketAlreadyOwnedByYou') throw thrown;
        }
      })();
      void attempt.then(() => {
        if (Number.isFinite(sweepIncomingAfterMs)) track(sweepIncoming(Date.now() - sweepIncomingAfterMs));
      }, ignore);
      bucketReady = attempt;
      attempt.catch(() => {
        if (bucketReady === attempt) bucketReady = undefined; // try again on the next call
      });
    }
    return untilAborted(bucketReady, signal);
  }

  const cleanups = new Set<Promise<void>>();
  /** Aborted by close(): stops the sweep, which is optional work, at once. */
  const closing = new AbortController();
  /** Keeps a background job until it settles, so that close() can wait for it. */
  function track(job: Promise<void>): void {
    cleanups.add(job);
    job.finally(() => cleanups.delete(job)).catch(ignore);
  }

  /** Aborts and removes every temporary upload started before `cutoff` (ms since the epoch). */
  async function sweepIncoming(cutoff: number): Promise<void> {
    const signal = AbortSignal.any([deadlineSignal({}, transferTimeoutMs), closing.signal]);
    let swept = 0;
    try {
      let keyMarker = '';
      let uploadIdMarker = '';
      for (;;) {
        const page = await call(signal, 'list temporary uploads', undefined, () =>
          client.listIncompleteUploadsQuery(bucket, incomingPrefix, keyMarker, uploadIdMarker, ''),
        );
        for (const upload of page.uploads) {
          if (!upload.key.startsWith(incomingPrefix) || upload.initiated.getTime() >= cutoff) continue;
          await call(signal, 'abort stale upload', upload.key, () =>
            client.abortMultipartUpload(bucket, upload.key, upload.uploadId),
          );
          swept += 1;
        }
        if (!page.isTruncated) break;
        keyMarker = page.nextKeyMarker;
        uploadIdMarker = page.nextUploadIdMarker;
      }
      let marker = '';
      for (;;) {
        const page = await call(signal, 'list temporary objects', undefined, () =>
          client.listObjectsQuery(bucket, incomingPrefix, marker, { Delimiter: '', MaxKeys: 1000 }),
        );
        for (const object of page.objects) {
          if (
            !object.name?.startsWith(incomingPrefix) ||
            (object.lastModified?.getTime() ?? cutoff) >= cutoff
          )
            continue;
          const key = object.name;
          await call(signal, 'remove stale temporary object', key, () => client.removeObject(bucket, key));
          swept += 1;
        }
        const last = page.objects.at(-1)?.name;
        if (!page.isTruncated || last === undefined) break;
        marker = page.nextMarker ?? last;
      }
      if (swept > 0) log.info('removed stale temporary uploads', { count: swept });
    } catch (thrown) {
      if (!closing.signal.aborted)
        log.warn('could not sweep stale temporary uploads', { error: String(thrown) });
    }
  }

  /** Aborts and removes a temporary upload in the background, under its own deadline. */
  function discard(upload: Upload): void {
    track(
      (async () => {
        const signal = deadlineSignal({}, requestTimeoutMs);
        try {
          await call(signal, 'abort upload', upload.key, () =>
            client.abortMultipartUpload(bucket, upload.key, upload.uploadId),
          ).catch((thrown: AppError) => {
            if (thrown.code !== 'not_found') throw thrown;
          });
          await call(signal, 'remove temporary object', upload.key, () =>
            client.removeObject(bucket, upload.key),
          );
        } catch (thrown) {
          log.warn('could not clean up a temporary upload', { key: upload.key, error: String(thrown) });
        }
      })(),
    );
  }

  async function put(source: BlobSource, options: PutOptions = {}): Promise<BlobRef> {
    const signal = deadlineSignal(options, transferTimeoutMs);
    await ensureBucket(signal);
    const hash = createHash('sha256');
    let size = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let upload: Upload | undefined;
    let stored = false;
    const flush = async (): Promise<void> => {
      upload ??= await startUpload(signal);
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const partNumber = upload.parts.length + 1;
      const md5 = createHash('md5').update(body).digest('base64');
      const { etag } = await call(signal, `upload part ${partNumber}`, upload.key, () =>
        client.uploadPart(
          {
            bucketName: bucket,
            objectName: upload!.key,
            uploadID: upload!.uploadId,
            partNumber,
            headers: { 'Content-MD5': md5 },
          },
          body,
        ),
      );
      upload.parts.push({ part: partNumber, etag });
    };
    try {
      for await (const chunk of sourceChunks(source, signal)) {
        hash.update(chunk);
        size += chunk.byteLength;
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        const threshold = partBytes * (1 + Math.floor((upload?.parts.length ?? 0) / 1000));
        if (pendingBytes >= threshold) await flush();
      }
      const ref = { sha256: hash.digest('hex'), size };
      const key = keyOf(ref.sha256);
      const metadata = { sha256: ref.sha256, size: String(size) };
      const contentType = options.contentType ? { 'Content-Type': options.contentType } : {};
      if (!upload) {
        const body = Buffer.concat(pending, pendingBytes);
        await call(signal, 'put', key, () =>
          client.putObject(bucket, key, body, size, { ...metadata, ...contentType }),
        );
      } else {
        if (pendingBytes > 0) await flush();
        const { key: temp, uploadId, parts } = upload;
        await call(signal, 'complete upload', temp, () =>
          client.completeMultipartUpload(bucket, temp, uploadId, parts),
        );
        // Copy rather than skip when the key exists: re-putting content repairs a damaged blob.
        const from = new CopySourceOptions({ Bucket: bucket, Object: temp });
        const to = new CopyDestinationOptions({
          Bucket: bucket,
          Object: key,
          MetadataDirective: 'REPLACE',
          UserMetadata: metadata,
          Headers: contentType,
        });
        await call(signal, 'copy into place', key, () =>
          size <= maxSingleCopyBytes ? client.copyObject(from, to) : client.composeObject(to, [from]),
        );
        const placed = await call(signal, 'check copy', key, () => client.statObject(bucket, key));
        if (placed.size !== size) {
          throw new AppError(
            'data_loss',
            `S3 copy of ${temp} to ${key} stored ${placed.size} of ${size} bytes`,
          );
        }
        stored = true;
        await call(deadlineSignal({}, requestTimeoutMs), 'remove temporary object', temp, () =>
          client.removeObject(bucket, temp),
        ).catch((thrown: unknown) => {
          stored = false; // leave it to the background clean-up
          log.warn('could not remove a temporary object', { key: temp, error: String(thrown) });
        });
      }
      log.debug('blob stored', { sha256: ref.sha256, size });
      return ref;
    } finally {
      if (upload && !stored) discard(upload);
    }
  }

  async function startUpload(signal: AbortSignal): Promise<Upload> {
    const key = `${incomingPrefix}${randomUUID()}`;
    const uploadId = await call(signal, 'start upload', key, () =>
      client.initiateNewMultipartUpload(bucket, key, {}),
    );
    return { key, uploadId, parts: [] };
  }

  async function* get(
    sha256: string,
    options: CallOptions = {},
  ): AsyncGenerator<Uint8Array, void, undefined> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, transferTimeoutMs);
    await ensureBucket(signal);
    const key = keyOf(sha256);
    const response = (await call(signal, 'get', key, () => client.getObject(bucket, key))) as IncomingMessage;
    try {
      const lengthHeader = response.headers['content-length'];
      const recordedHeader = response.headers['x-amz-meta-size'];
      const recorded = typeof recordedHeader === 'string' ? recordedHeader : undefined;
      // Without a Content-Length (a chunked reply) the recorded size alone is checked, while reading.
      const size =
        lengthHeader === undefined
          ? recorded === undefined
            ? undefined
            : Number(recorded)
          : checkRecordedSize(sha256, Number(lengthHeader), recorded);
      const chunks = abortable<Uint8Array>(response, signal, (thrown) =>
        s3Error(thrown, 'get', target(key), signal),
      );
      yield* verifyStream(chunks, size === undefined ? { sha256 } : { sha256, size }, `blob ${sha256}`);
    } finally {
      if (!response.complete) response.destroy();
    }
  }

  async function stat(sha256: string, options: CallOptions = {}): Promise<BlobRef | undefined> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, requestTimeoutMs);
    await ensureBucket(signal);
    const key = keyOf(sha256);
    try {
      const info = await call(signal, 'stat', key, () => client.statObject(bucket, key));
      const recorded = info.metaData.size;
      return {
        sha256,
        size: checkRecordedSize(sha256, info.size, typeof recorded === 'string' ? recorded : undefined),
      };
    } catch (thrown) {
      if (thrown instanceof AppError && thrown.code === 'not_found') return undefined;
      throw thrown;
    }
  }

  async function* list(options: CallOptions = {}): AsyncGenerator<BlobRef, void, undefined> {
    const signal = deadlineSignal(options, transferTimeoutMs);
    await ensureBucket(signal);
    let marker = '';
    for (;;) {
      const page = await call(signal, 'list', undefined, () =>
        client.listObjectsQuery(bucket, blobPrefix, marker, { Delimiter: '', MaxKeys: 1000 }),
      );
      for (const object of page.objects) {
        const sha256 = object.name?.slice(blobPrefix.length);
        if (object.name?.startsWith(blobPrefix) && isSha256(sha256))
          yield { sha256, size: Number(object.size) };
        throwIfAborted(signal);
      }
      const last = page.objects.at(-1)?.name;
      if (!page.isTruncated || last === undefined) return;
      marker = page.nextMarker ?? last;
    }
  }

  async function deleteBlob(sha256: string, options: CallOptions = {}): Promise<boolean> {
    assertSha256(sha256);
    const signal = deadlineSignal(options, requestTimeoutMs);
    await ensureBucket(signal);
    const key = keyOf(sha256);
    // S3 answers a DELETE the same whether or not the key existed, so ask first.
    try {
      await call(signal, 'stat', key, () => client.statObject(bucket, key));
    } catch (thrown) {
      if (thrown instanceof AppError && thrown.code === 'not_found') return false;
      throw thrown;
    }
    await call(signal, 'delete', key, () => client.removeObject(bucket, key));
    return true;
  }

  return {
    put,
    get,
    getBytes: (sha256, options) => collectBytes(get(sha256, options)),
    stat,
    list,
    delete: deleteBlob,
    async close() {
      closing.abort(new AppError('cancelled', 'the blob store is closing'));
      await Promise.allSettled([...cleanups]);
      agent.destroy();
    },
  };
}

interface Upload {
  key: string;
  uploadId: string;
  parts: { part: number; etag: string }[];
}

/** The size to verify against: the object's length, which must agree with the size recorded at put time. */
function checkRecordedSize(sha256: string, length: number, recorded: string | undefined): number {
  if (recorded !== undefined && Number(recorded) !== length) {
    throw new AppError(
      'data_loss',
      `blob ${sha256} is damaged: ${length} bytes stored but ${recorded} recorded when it was put; it is not served`,
      { details: { sha256 } },
    );
  }
  return length;
}

interface Endpoint {
  host: string;
  port: number;
  useSSL: boolean;
  href: string;
}

function parseEndpoint(raw: string): Endpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw AppError.invalidArgument('endpoint', `is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw AppError.invalidArgument('endpoint', `must be an http: or https: URL, got "${raw}"`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw AppError.invalidArgument(
      'endpoint',
      `must be scheme://host[:port] only (buckets are path-style), got "${raw}"`,
    );
  }
  const useSSL = url.protocol === 'https:';
  const port = url.port === '' ? (useSSL ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port, useSSL, href: url.origin };
}

/**
 * Test helper: rewrites the stored bytes of blob `sha256` in `bucket` with `mutate(stored)`, keeping
 * its metadata, through a plain minio client — bypassing every check, to prove damage is detected.
 */
export async function tamperS3Blob(
  connection: Pick<S3BlobsOptions, 'endpoint' | 'accessKey' | 'secretKey' | 'region' | 'bucket' | 'ca'>,
  sha256: string,
  mutate: (stored: Uint8Array) => Uint8Array,
): Promise<void> {
  assertSha256(sha256);
  const endpoint = parseEndpoint(connection.endpoint);
  const client = new Client({
    endPoint: endpoint.host,
    port: endpoint.port,
    useSSL: endpoint.useSSL,
    accessKey: connection.accessKey,
    secretKey: connection.secretKey,
    region: connection.region,
    pathStyle: true,
    ...(connection.ca === undefined ? {} : { transportAgent: new https.Agent({ ca: connection.ca }) }),
  });
  const key = `${blobPrefix}${sha256}`;
  const info = await client.statObject(connection.bucket, key);
  const stored = await collectBytes(await client.getObject(connection.bucket, key));
  const damaged = Buffer.from(mutate(stored));
  await client.putObject(connection.bucket, key, damaged, damaged.byteLength, info.metaData);
}
