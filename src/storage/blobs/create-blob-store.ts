import type { Config } from '../../config.js';
import type { BlobStore } from './blob-store.js';
import { filesystemBlobStore } from './filesystem-blob-store.js';
import { s3BlobStore } from './s3-blob-store.js';

/** The blob store `FURROW_BLOB_STORE` chose: the files directory, or an S3-compatible bucket. */
export function createBlobStore(files: Pick<Config['files'], 'dir' | 'store'>): BlobStore {
  const { store } = files;
  if (store.kind === 'filesystem') return filesystemBlobStore(files.dir);
  const { kind: _kind, ...options } = store;
  return s3BlobStore(options);
}
