import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, ConfigReader, type Env } from '@flywheel/core';
import { describe, expect, it } from 'vitest';
import { createBlobStore, readBlobConfig } from './create-blob-store.ts';

function read(env: Env) {
  const reader = new ConfigReader(env);
  const config = readBlobConfig(reader);
  reader.done();
  return config;
}

function problems(env: Env): string {
  const reader = new ConfigReader(env);
  readBlobConfig(reader);
  try {
    reader.done();
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'invalid_argument' });
    return (thrown as AppError).message;
  }
  throw new Error('expected configuration problems');
}

const s3Env = {
  FLYWHEEL_BLOBS: 's3',
  FLYWHEEL_S3_ENDPOINT: 'http://127.0.0.1:9000',
  FLYWHEEL_S3_ACCESS_KEY: 'ak',
  FLYWHEEL_S3_SECRET_KEY: 'sk',
};

describe('readBlobConfig', () => {
  it('defaults to the fs store in .flywheel/blobs', () => {
    expect(read({})).toEqual({ kind: 'fs', dir: '.flywheel/blobs' });
    expect(read({ FLYWHEEL_BLOBS_DIR: '/var/lib/flywheel/blobs' })).toEqual({
      kind: 'fs',
      dir: '/var/lib/flywheel/blobs',
    });
  });

  it('ignores shared S3 settings when the store is fs', () => {
    expect(read({ ...s3Env, FLYWHEEL_BLOBS: 'fs' })).toEqual({ kind: 'fs', dir: '.flywheel/blobs' });
  });

  it('reads a complete s3 configuration with defaults for region and bucket', () => {
    expect(read(s3Env)).toEqual({
      kind: 's3',
      endpoint: 'http://127.0.0.1:9000',
      accessKey: 'ak',
      secretKey: 'sk',
      region: 'us-east-1',
      bucket: 'flywheel-blobs',
    });
    expect(read({ ...s3Env, FLYWHEEL_S3_REGION: 'eu-west-1', FLYWHEEL_S3_BUCKET: 'models' })).toMatchObject({
      region: 'eu-west-1',
      bucket: 'models',
    });
  });

  it('reads the CA of an https endpoint from FLYWHEEL_S3_TLS_CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'create-blob-store-ca-'));
    try {
      const ca = join(dir, 'ca.pem');
      await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(
        read({ ...s3Env, FLYWHEEL_S3_ENDPOINT: 'https://127.0.0.1:9443', FLYWHEEL_S3_TLS_CA: ca }),
      ).toMatchObject({
        endpoint: 'https://127.0.0.1:9443',
        ca: expect.stringContaining('BEGIN CERTIFICATE'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names every missing s3 setting at once', () => {
    const message = problems({ FLYWHEEL_BLOBS: 's3' });
    expect(message).toContain('FLYWHEEL_S3_ENDPOINT is required when FLYWHEEL_BLOBS=s3');
    expect(message).toContain('FLYWHEEL_S3_ACCESS_KEY is required');
    expect(message).toContain('FLYWHEEL_S3_SECRET_KEY is required');
  });

  it.each([
    [{ ...s3Env, FLYWHEEL_BLOBS_DIR: '/tmp/x' }, 'FLYWHEEL_BLOBS_DIR is set but FLYWHEEL_BLOBS is s3'],
    [{ FLYWHEEL_S3_BUCKET: 'models' }, 'FLYWHEEL_S3_BUCKET is set but FLYWHEEL_BLOBS is fs'],
    [{ FLYWHEEL_BLOBS: 'gcs' }, 'FLYWHEEL_BLOBS must be one of fs, s3, got "gcs"'],
    [{ ...s3Env, FLYWHEEL_S3_ENDPOINT: 'ftp://host' }, 'FLYWHEEL_S3_ENDPOINT must be a http: or https: URL'],
    [
      { ...s3Env, FLYWHEEL_S3_ENDPOINT: 'http://host:9000/prefix' },
      'FLYWHEEL_S3_ENDPOINT must be scheme://host[:port]',
    ],
    [{ ...s3Env, FLYWHEEL_S3_BUCKET: 'Models_v1' }, 'FLYWHEEL_S3_BUCKET must be 3-63 lower-case'],
    [
      { ...s3Env, FLYWHEEL_S3_TLS_CA: '/nonexistent/ca.pem' },
      'FLYWHEEL_S3_TLS_CA is set but FLYWHEEL_S3_ENDPOINT is http:',
    ],
    [
      { ...s3Env, FLYWHEEL_S3_ENDPOINT: 'https://127.0.0.1:9000', FLYWHEEL_S3_TLS_CA: '/nonexistent/ca.pem' },
      'FLYWHEEL_S3_TLS_CA cannot read /nonexistent/ca.pem',
    ],
  ])('rejects a contradiction or a bad value (%#)', (env, expected) => {
    expect(problems(env)).toContain(expected);
  });
});

describe('createBlobStore', () => {
  it('builds a working fs store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'create-blob-store-'));
    try {
      const store = await createBlobStore({ kind: 'fs', dir });
      const ref = await store.put(Buffer.from('hello'));
      expect(Buffer.from(await store.getBytes(ref.sha256)).toString()).toBe('hello');
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds an s3 store without touching the network', async () => {
    const store = await createBlobStore(read(s3Env));
    expect(typeof store.put).toBe('function');
    await store.close();
  });

  it('rejects an s3 config it cannot use', async () => {
    await expect(createBlobStore({ ...read(s3Env), endpoint: 'not a url' } as never)).rejects.toThrow(
      /endpoint/,
    );
  });
});
