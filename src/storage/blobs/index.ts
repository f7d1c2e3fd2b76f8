/** @module The blob store: machine-file bytes (uploads and outputs) behind one small interface. */
export type { BlobStore, BlobWriter, RandomAccessBlob } from './blob-store.js';
export { filesystemBlobStore } from './filesystem-blob-store.js';
export { s3BlobStore, S3RequestError, type S3BlobStoreOptions } from './s3-blob-store.js';
export { createBlobStore } from './create-blob-store.js';
