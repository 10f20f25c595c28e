// The `@flywheel/blobs/contract` entry point: test-only code (it imports Vitest), kept out of index.ts.

export type { TamperBlob } from './blob-store-contract.ts';
export { describeBlobStoreContract } from './blob-store-contract.ts';
export { tamperFsBlob } from './fs-blobs.ts';
export { tamperS3Blob } from './s3-blobs.ts';
