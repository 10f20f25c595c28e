import { readFileSync } from 'node:fs';
import type { ConfigReader, Logger } from '@flywheel/core';
import type { BlobStore } from './blob-store.ts';
import { createFsBlobs } from './fs-blobs.ts';

/** The blob store backends `FLYWHEEL_BLOBS` selects. */
export const blobBackends = ['fs', 's3'] as const;

/** Which blob store to build, as {@link readBlobConfig} reads it. */
export type BlobConfig =
  | { readonly kind: 'fs'; readonly dir: string }
  | {
      readonly kind: 's3';
      /** `http(s)://host[:port]`. */
      readonly endpoint: string;
      readonly accessKey: string;
      /** A secret: never log the config whole. */
      readonly secretKey: string;
      readonly region: string;
      readonly bucket: string;
      /** PEM CA certificates to trust for an https: endpoint (absent: the system's). */
      readonly ca?: string;
    };

/** Where the fs store keeps blobs when `FLYWHEEL_BLOBS_DIR` is unset, relative to the working directory. */
export const defaultBlobsDir = '.flywheel/blobs';
/** The bucket when `FLYWHEEL_S3_BUCKET` is unset. */
export const defaultS3Bucket = 'flywheel-blobs';
/** The signing region when `FLYWHEEL_S3_REGION` is unset. */
export const defaultS3Region = 'us-east-1';

/**
 * Reads the blob store settings:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `FLYWHEEL_BLOBS` | `fs` or `s3` | `fs` |
 * | `FLYWHEEL_BLOBS_DIR` | fs: the store's directory | `.flywheel/blobs` |
 * | `FLYWHEEL_S3_ENDPOINT` | s3: `http(s)://host[:port]` | required |
 * | `FLYWHEEL_S3_ACCESS_KEY`, `FLYWHEEL_S3_SECRET_KEY` | s3: credentials | required |
 * | `FLYWHEEL_S3_REGION` | s3: signing region | `us-east-1` |
 * | `FLYWHEEL_S3_BUCKET` | s3: bucket, created when missing | `flywheel-blobs` |
 * | `FLYWHEEL_S3_TLS_CA` | s3: PEM file of the CAs to trust for an `https:` endpoint (read now) | the system's |
 *
 * Contradictions are problems: `s3` without endpoint or credentials, `FLYWHEEL_BLOBS_DIR` with `s3`,
 * `FLYWHEEL_S3_BUCKET` with `fs` (a forgotten `FLYWHEEL_BLOBS=s3`). Problems are recorded on
 * `reader`, whose `done()` (called once by the service's `loadConfig`) throws them all together;
 * the value returned alongside problems is a placeholder. (`FLYWHEEL_S3_ENDPOINT` and the keys alone
 * are no contradiction with `fs`: other components share them.)
 */
export function readBlobConfig(reader: ConfigReader): BlobConfig {
  const kind = reader.oneOf('FLYWHEEL_BLOBS', blobBackends, 'fs');
  const dir = reader.optional('FLYWHEEL_BLOBS_DIR');
  const bucket = reader.optional('FLYWHEEL_S3_BUCKET');
  if (kind === 'fs') {
    if (bucket !== undefined) {
      reader.problem(
        'FLYWHEEL_S3_BUCKET',
        'is set but FLYWHEEL_BLOBS is fs: set FLYWHEEL_BLOBS=s3 to keep blobs in S3',
      );
    }
    return { kind, dir: dir ?? defaultBlobsDir };
  }
  if (dir !== undefined) {
    reader.problem(
      'FLYWHEEL_BLOBS_DIR',
      'is set but FLYWHEEL_BLOBS is s3: unset it, or set FLYWHEEL_BLOBS=fs',
    );
  }
  const required = (name: string, example: string): string => {
    const value = reader.optional(name);
    if (value === undefined) reader.problem(name, `is required when FLYWHEEL_BLOBS=s3 (${example})`);
    return value ?? '';
  };
  let endpoint = required('FLYWHEEL_S3_ENDPOINT', 'e.g. http://127.0.0.1:9000');
  if (endpoint !== '') {
    const url = reader.url('FLYWHEEL_S3_ENDPOINT', ['http:', 'https:']);
    if (url && (url.pathname !== '/' || url.search !== '')) {
      reader.problem(
        'FLYWHEEL_S3_ENDPOINT',
        `must be scheme://host[:port] with no path (buckets are path-style), got "${endpoint}"`,
      );
    }
    endpoint = url?.origin ?? '';
  }
  const accessKey = required('FLYWHEEL_S3_ACCESS_KEY', 'the access key id');
  const secretKey = required('FLYWHEEL_S3_SECRET_KEY', 'the secret access key');
  const region = reader.string('FLYWHEEL_S3_REGION', defaultS3Region);
  const bucketName = bucket ?? defaultS3Bucket;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName)) {
    reader.problem(
      'FLYWHEEL_S3_BUCKET',
      `must be 3-63 lower-case letters, digits, dots or dashes, got "${bucketName}"`,
    );
  }
  const ca = readS3Ca(reader, endpoint);
  return {
    kind,
    endpoint,
    accessKey,
    secretKey,
    region,
    bucket: bucketName,
    ...(ca === undefined ? {} : { ca }),
  };
}

function readS3Ca(reader: ConfigReader, endpoint: string): string | undefined {
  const path = reader.optional('FLYWHEEL_S3_TLS_CA');
  if (path === undefined) return undefined;
  if (endpoint.startsWith('http:')) {
    reader.problem('FLYWHEEL_S3_TLS_CA', 'is set but FLYWHEEL_S3_ENDPOINT is http: (use https:)');
    return undefined;
  }
  try {
    const ca = readFileSync(path, 'utf8');
    if (ca.includes('-----BEGIN CERTIFICATE-----')) return ca;
    reader.problem('FLYWHEEL_S3_TLS_CA', `${path} holds no PEM certificate`);
  } catch (error) {
    reader.problem('FLYWHEEL_S3_TLS_CA', `cannot read ${path}: ${(error as Error).message}`);
  }
  return undefined;
}

/**
 * The blob store `config` describes. Makes no I/O: the fs directory and the S3 bucket are created
 * on first use. The S3 client library (minio) is loaded only for `s3`.
 */
export async function createBlobStore(config: BlobConfig, deps: { log?: Logger } = {}): Promise<BlobStore> {
  const log = deps.log === undefined ? {} : { log: deps.log };
  switch (config.kind) {
    case 'fs':
      return createFsBlobs({ dir: config.dir, ...log });
    case 's3': {
      const { createS3Blobs } = await import('./s3-blobs.ts');
      return createS3Blobs({ ...config, ...log });
    }
  }
}
