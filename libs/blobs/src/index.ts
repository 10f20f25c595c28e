export type { BlobRef, BlobSource, BlobStore, PutOptions } from './blob-store.ts';
export { blobUri, parseBlobUri } from './blob-uri.ts';
export type { BlobConfig } from './create-blob-store.ts';
export {
  blobBackends,
  createBlobStore,
  defaultBlobsDir,
  defaultS3Bucket,
  defaultS3Region,
  readBlobConfig,
} from './create-blob-store.ts';
export type { FsBlobsOptions } from './fs-blobs.ts';
export { createFsBlobs } from './fs-blobs.ts';
export { withLocalBlobFile } from './local-blob-file.ts';
export type { S3BlobsOptions } from './s3-blobs.ts';
export { assertSha256, isSha256 } from './sha256.ts';
