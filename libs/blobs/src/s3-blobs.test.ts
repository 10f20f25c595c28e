import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import https from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@flywheel/core';
import { realServers, repoRoot, uniqueName, waitFor } from '@flywheel/testing';
import { Client } from 'minio';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from '../test/blob-store-contract.ts';
import { createS3Blobs, type S3BlobsOptions, tamperS3Blob } from './s3-blobs.ts';

// Fails (never skips) when the servers are not running: see libs/testing realServers().
const { s3 } = realServers();
const MiB = 1024 * 1024;
const bucket = uniqueName('blobs');
const connection = { ...s3, bucket };
/** `https:` on the secured servers (then `ca` is the test CA), else `http:`. */
const scheme = new URL(s3.endpoint).protocol;

const raw = (() => {
  const url = new URL(s3.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    pathStyle: true,
    ...(s3.ca === undefined ? {} : { transportAgent: new https.Agent({ ca: s3.ca }) }),
  });
})();

async function keysUnder(prefix: string, inBucket = bucket): Promise<string[]> {
  const page = await raw.listObjectsQuery(inBucket, prefix, '', { Delimiter: '', MaxKeys: 1000 });
  return page.objects.map((object) => object.name ?? '');
}

async function incompleteUploads(inBucket = bucket): Promise<number> {
  const result = await raw.listIncompleteUploadsQuery(inBucket, 'incoming/', '', '', '');
  return result.uploads.length;
}

// Every bucket this file makes is emptied and removed at the end, so runs do not pile up on the server.
const buckets = [bucket];
afterAll(async () => {
  for (const name of buckets) {
    if (!(await raw.bucketExists(name))) continue;
    const page = await raw.listIncompleteUploadsQuery(name, '', '', '', '');
    for (const upload of page.uploads) await raw.abortMultipartUpload(name, upload.key, upload.uploadId);
    // A listing pages: remove until empty, within a deadline rather than forever.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const keys = await keysUnder('', name);
      if (keys.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`bucket ${name} still holds ${keys.length} objects after 60 s`);
      await raw.removeObjects(name, keys);
    }
    await raw.removeBucket(name);
  }
});

describeBlobStoreContract(
  's3-blobs (real S3 server)',
  // 5 MiB parts, so that the 20 MiB and 12 MiB blobs go through multipart upload and copy.
  () => createS3Blobs({ ...connection, partBytes: 5 * MiB }),
  (_, sha256, mutate) => tamperS3Blob(connection, sha256, mutate),
);

describe('s3-blobs against the real server', () => {
  const stores: { close(): Promise<void> }[] = [];
  const make = (overrides: Partial<S3BlobsOptions> = {}) => {
    const store = createS3Blobs({ ...connection, partBytes: 5 * MiB, ...overrides });
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it('refuses a wrong secret key with unauthenticated (real SigV4)', async () => {
    const store = make({ secretKey: `${s3.secretKey}-wrong` });
    const error = await store.put(Buffer.from('x')).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'unauthenticated',
      retriable: false,
      details: { s3Code: 'SignatureDoesNotMatch', bucket },
      message: expect.stringContaining('check the access key and secret key'),
    });
  });

  it('refuses an unknown access key with unauthenticated', async () => {
    const store = make({ accessKey: 'nobody-knows-me' });
    await expect(store.stat('a'.repeat(64))).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses a request signed for another region', async () => {
    const store = make({ region: 'eu-west-1' });
    await expect(store.put(Buffer.from('x'))).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringContaining('check the region'),
    });
  });

  it.runIf(scheme === 'https:')(
    'over https, refuses a server whose certificate the configured CA did not sign (failed_precondition)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'flywheel-s3-other-ca-'));
      const { stdout } = await promisify(execFile)(
        join(repoRoot, 'scripts/servers/test-ca.sh'),
        ['ca', 'other'],
        {
          env: { ...process.env, FLYWHEEL_TLS_DIR: dir },
        },
      );
      const store = make({ ca: await readFile(stdout.trim(), 'utf8') });
      await expect(store.put(Buffer.from('x'))).rejects.toMatchObject({
        code: 'failed_precondition',
        retriable: false,
        message: expect.stringContaining('FLYWHEEL_S3_TLS_CA'),
      });
      const { ca: _testCa, ...systemCas } = connection;
      const withoutCa = createS3Blobs(systemCas);
      stores.push(withoutCa);
      await expect(withoutCa.put(Buffer.from('x'))).rejects.toMatchObject({ code: 'failed_precondition' });
    },
  );

  it('answers unavailable (retriable) when nothing listens at the endpoint', async () => {
    const port = await freePort();
    const store = make({ endpoint: `${scheme}//127.0.0.1:${port}` });
    await expect(store.put(Buffer.from('x'))).rejects.toMatchObject({
      code: 'unavailable',
      retriable: true,
      details: { errno: 'ECONNREFUSED' },
    });
  });

  it('never hangs on a server that accepts and stays silent: deadline_exceeded at the deadline', async () => {
    const sockets: Socket[] = [];
    const closed = new Set<Socket>();
    const silent = await listen(
      createServer((socket) => {
        sockets.push(socket);
        socket.on('close', () => closed.add(socket));
        socket.resume(); // read (and ignore) requests, so that the client's close is seen
      }),
    );
    try {
      const port = (silent.address() as { port: number }).port;
      // requestTimeoutMs bounds the store's own bucket check, which callers never wait for past their deadline.
      const store = make({ endpoint: `${scheme}//127.0.0.1:${port}`, requestTimeoutMs: 1_000 });
      const started = Date.now();
      await expect(store.stat('b'.repeat(64), { timeoutMs: 300 })).rejects.toMatchObject({
        code: 'deadline_exceeded',
      });
      await expect(store.getBytes('b'.repeat(64), { timeoutMs: 300 })).rejects.toMatchObject({
        code: 'deadline_exceeded',
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      // Every request was torn down at its deadline: the server saw each socket close.
      expect(sockets.length).toBeGreaterThan(0);
      await waitFor(() => sockets.every((socket) => closed.has(socket)), {
        what: 'client sockets closed',
        timeoutMs: 5_000,
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('creates a missing bucket on first use', async () => {
    const fresh = uniqueName('blobs-new');
    buckets.push(fresh);
    const store = make({ bucket: fresh });
    expect(await raw.bucketExists(fresh)).toBe(false);
    const ref = await store.put(Buffer.from('first'));
    expect(await raw.bucketExists(fresh)).toBe(true);
    expect(await keysUnder('sha256/', fresh)).toEqual([`sha256/${ref.sha256}`]);
  });

  it('a multipart put lands at sha256/<hex> with its digest and size as metadata, leaving nothing in incoming/', async () => {
    const store = make();
    const bytes = randomBytes(11 * MiB);
    const ref = await store.put(bytes, { contentType: 'application/x-safetensors' });
    expect(ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const info = await raw.statObject(bucket, `sha256/${ref.sha256}`);
    expect(info.size).toBe(bytes.byteLength);
    expect(info.metaData).toMatchObject({
      sha256: ref.sha256,
      size: String(bytes.byteLength),
      'content-type': 'application/x-safetensors',
    });
    expect(await keysUnder('incoming/')).toEqual([]);
    expect(await incompleteUploads()).toBe(0);
  });

  it('a small put records its digest and size as metadata too', async () => {
    const store = make();
    const ref = await store.put(Buffer.from('small'), { contentType: 'text/plain' });
    const info = await raw.statObject(bucket, `sha256/${ref.sha256}`);
    expect(info.metaData).toMatchObject({ sha256: ref.sha256, size: '5', 'content-type': 'text/plain' });
  });

  it('a cancelled multipart put aborts its upload and removes its temporary object', async () => {
    const store = make();
    const controller = new AbortController();
    async function* partial(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 11; i++) yield randomBytes(MiB);
      controller.abort();
      await new Promise(() => {});
    }
    await expect(store.put(partial(), { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
    await waitFor(
      async () => (await keysUnder('incoming/')).length === 0 && (await incompleteUploads()) === 0,
      {
        what: 'the temporary upload to be cleaned up',
      },
    );
  });

  it('sweeps temporary uploads left behind by a crashed process', async () => {
    const crashed = uniqueName('blobs-crashed');
    buckets.push(crashed);
    await raw.makeBucket(crashed, s3.region);
    await raw.putObject(crashed, 'incoming/left-by-a-crash', Buffer.from('half a blob'));
    await raw.initiateNewMultipartUpload(crashed, 'incoming/never-completed', {});
    expect(await keysUnder('incoming/', crashed)).toHaveLength(1);
    expect(await incompleteUploads(crashed)).toBe(1);
    const store = make({ bucket: crashed, sweepIncomingAfterMs: 0 });
    const ref = await store.put(Buffer.from('kept'));
    await waitFor(
      async () =>
        (await keysUnder('incoming/', crashed)).length === 0 && (await incompleteUploads(crashed)) === 0,
      {
        what: 'stale temporary uploads to be swept',
      },
    );
    expect(await store.stat(ref.sha256)).toEqual(ref);
  });

  it('stat reports data_loss when the stored size disagrees with the recorded size', async () => {
    const store = make();
    const ref = await store.put(randomBytes(1000));
    await tamperS3Blob(connection, ref.sha256, (stored) => stored.subarray(1));
    await expect(store.stat(ref.sha256)).rejects.toMatchObject({ code: 'data_loss' });
  });
});

function listen(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen(createServer());
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
