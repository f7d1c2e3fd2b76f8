/** @module The blob store: machine-file bytes (uploads and outputs) behind one small interface. */
export type { BlobStore, BlobWriter, RandomAccessBlob } from './blob-store.js';
export { filesystemBlobStore } from './filesystem-blob-store.js';
